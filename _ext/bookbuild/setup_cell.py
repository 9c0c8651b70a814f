"""The set-up cell of every downloaded notebook, kept as Python so that ruff checks it.

``bookbuild.download`` reads this file as text, leaves out this docstring and
fills each ``"@name@"`` string with a value of the build (``setup_cell``): the
scratchbook version these outputs were made with, its wheel's name, the site's
address for it, the site's download folder, and the (module, pip requirement)
pairs the chapter needs. Never import it: running it installs packages.
"""
# Set-up for running this chapter outside the book: installs only what is missing.
import importlib, importlib.util, pathlib, re, subprocess, sys

SCRATCHBOOK = "@version@"  # the package these outputs were made with
WHEEL = "@wheel@"
SITE = "@site@"


def _version(name):
    spec = importlib.util.find_spec(name)
    if spec is None or name != "scratchbook":
        return spec and "present"
    match = re.search(r'__version__ = "([^"]+)"', pathlib.Path(spec.origin).read_text())
    return match and match[1]


def _wheel():
    here = pathlib.Path.cwd()
    for folder in [here, *here.parents][:6]:  # the built site keeps the wheel in _downloads/
        for path in (folder / WHEEL, folder / "@folder@" / WHEEL):
            if path.exists():
                return str(path)
    return SITE + WHEEL if SITE else WHEEL


_wanted = [spec for name, spec in "@needs@" if not _version(name)]
if _version("scratchbook") != SCRATCHBOOK:
    _wanted.append(_wheel())
if _wanted:
    print("installing", *_wanted)
    _pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_wanted], capture_output=True, text=True)
    if _pip.returncode != 0:
        _said = (_pip.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"Could not install {' and '.join(_wanted)} ({_said}). "
                         f"Install it by hand, then run this notebook again: pip install {' '.join(_wanted)}")
    importlib.invalidate_caches()
