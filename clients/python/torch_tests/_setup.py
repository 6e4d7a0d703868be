"""Makes `kvstore_client` and the daemon helper (`tests.daemon`) importable from torch_tests."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
