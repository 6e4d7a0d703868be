"""The quick start of docs/python.md works as written (against the test daemon's port and token)."""
import contextlib
import io
import os
import re
import unittest

from . import daemon


class QuickStartTest(unittest.TestCase):

    def test_the_quick_start_runs_and_prints_what_the_page_says(self):
        with open(daemon.REPO / "docs" / "python.md", encoding="utf-8") as f:
            page = f.read()
        code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
        self.assertLessEqual(len(code.strip().splitlines()), 10)
        d = daemon.shared()
        self.assertIn('connect("127.0.0.1", 7379, ns)', code)
        code = code.replace('connect("127.0.0.1", 7379, ns)',
                            'connect(%r, %d, ns, token=%r)' % (d.host, d.port, daemon.TOKEN))
        out = io.StringIO()
        cwd = os.getcwd()
        os.chdir(daemon.REPO)  # the quick start runs from the repository root
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, "docs/python.md", "exec"), {})
        finally:
            os.chdir(cwd)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], "True")
        self.assertTrue(lines[1].startswith("6 96 ["), lines[1])
        self.assertEqual(lines[2:], ["%d 4096 %d" % (i, i) for i in range(6)])


if __name__ == "__main__":
    unittest.main()
