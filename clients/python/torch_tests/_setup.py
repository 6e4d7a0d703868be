"""Makes `kvstore_client`, the daemon helper (`tests.daemon`) and the reference engines (`examples/`) importable
from torch_tests; `prompt` is the engines' tests' token source."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
EXAMPLES = os.path.join(ROOT, "examples")
if EXAMPLES not in sys.path:
    sys.path.insert(0, EXAMPLES)


def prompt(n, seed):
    """n token ids below 2048, the same for the same seed."""
    import torch
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2048, (n,), generator=g).tolist()


def session(*lengths):
    """A session's prompts: the first of `lengths[0]` tokens, each next one the previous plus `lengths[i]` more."""
    turns = [prompt(lengths[0], 1)]
    for seed, n in enumerate(lengths[1:], 2):
        turns.append(turns[-1] + prompt(n, seed))
    return turns


def assert_same_turn(test, got, want, i, hit_tokens):
    """Turn `i` restored from kvstore (`got`) gives the logits and tokens of a full prefill (`want`)."""
    import torch
    test.assertTrue(torch.equal(got.first_logits, want.first_logits), "turn %d logits differ" % i)
    test.assertEqual(got.tokens, want.tokens)
    test.assertEqual(got.hit_tokens, hit_tokens, got.notes)
