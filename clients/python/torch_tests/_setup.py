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
