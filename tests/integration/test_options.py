#!/usr/bin/python3
"""Command line: malformed or unknown wsgate options exit 2 with a message on
stderr naming the problem; --help lists every option of the README's options
table, and the table lists every option --help shows. Runs inside a namespace
of its own in case a broken build gets as far as creating a TAP."""
import os
import re
import sys
import traceback
import wsgate_env as W

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def readme_options():
    """The options of README.md's table: rows that start with | `--name."""
    with open(README) as fh:
        found = re.findall(r"^\| `(--[a-z][a-z-]*)", fh.read(), re.M)
    W.check(len(found) >= 20, f"README.md's options table has only {len(found)} rows")
    return found


def run(ns, exe, opts):
    p = W.subprocess.run(ns.cmd([exe] + W.EAL_ARGS + ["--"] + opts), stdin=W.subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    print(f"$ wsgate ... -- {' '.join(opts)}  -> exit {p.returncode}")
    print("  stderr: " + "\n  stderr: ".join((p.stderr or "").strip().splitlines()[-5:]))
    return p


def main():
    exe = os.path.abspath(sys.argv[1])
    W.sweep_stale_namespaces()
    ns = W.Netns("opts").create()
    failures = []
    try:
        for opts, names in ((["--addr", "1.2.3"], ["--addr", "1.2.3"]),
                            (["--bogus"], ["--bogus"]),
                            (["--addr", "198.18.0.2/33"], ["--addr"]),
                            (["--http-port", "70000"], ["--http-port"]),
                            (["--initial-window", "65"], ["--initial-window"])):
            p = run(ns, exe, opts)
            if p.returncode != 2:
                failures.append(f"{opts}: exit {p.returncode}, want 2")
            missing = [n for n in names if n.lstrip("-") not in (p.stderr or "")]
            if missing:
                failures.append(f"{opts}: stderr does not name {missing}: {p.stderr!r}")
        p = run(ns, exe, ["--help"])
        if p.returncode != 0:
            failures.append(f"--help: exit {p.returncode}, want 0")
        text = (p.stdout or "") + (p.stderr or "")
        documented = readme_options()
        undocumented = [o for o in documented if not re.search(rf"^\s+{re.escape(o)}\b", text, re.M)]
        unlisted = [o for o in re.findall(r"^\s+(--[a-z][a-z-]*)", text, re.M) if o not in documented]
        if unlisted:
            failures.append(f"--help shows options the README table lacks: {unlisted}")
        if undocumented:
            failures.append(f"--help does not list {undocumented}")
        W.check_no_tap(ns)
    except Exception:
        traceback.print_exc()
        failures.append("exception")
    finally:
        W.run_cleanups()
    for f in failures:
        print("FAIL: " + f)
    print(f"options: {'PASS' if not failures else 'FAIL'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
