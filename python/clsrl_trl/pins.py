"""Checks the installed Python stack against a run folder's pins (PEP 440 public versions).

Standard library only, so `clsrl doctor` can run it with any python3:

    python3 -m clsrl_trl.pins --json [--pins '{"trl": "0.23.1", ...}' | --config config.json] [--require deepspeed]

prints one object per pinned package: name, found (installed version or null), wanted, rule, ok, required,
hint. Exit 0 when every required package is ok (or allowed by CLSRL_ALLOW_UNPINNED), 1 otherwise.

Rules (docs/reproduce-the-paper.md, section 1):
- the local part of a version is ignored (`2.8.0+cu128` is torch 2.8.0 built for CUDA 12.8);
- `trl` must be the pinned release exactly: every GRPOConfig/SFTConfig field clsrl writes was checked
  against it;
- every other package accepts a compatible patch release (PEP 440 `~=X.Y.Z`: same X.Y, patch >= Z), final
  releases only.
CLSRL_ALLOW_UNPINNED=1 accepts any version of every package; CLSRL_ALLOW_UNPINNED=torch,transformers only
of those.
"""

import argparse
import json
import os
import re
import sys

# Packages whose pin is exact; the rest accept compatible patch releases.
EXACT = frozenset(["trl"])
# Checked by train.py before training (deepspeed only for the ZeRO strategies, see required_packages).
CORE = ("trl", "transformers", "accelerate", "datasets", "torch")
# Wheels that come from PyTorch's own index, where versions carry a CUDA local part.
TORCH_INDEX = frozenset(["torch", "torchvision"])

_VERSION = re.compile(
    r"^\s*v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d+)?)?"
    r"(?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?"
    r"(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$",
    re.IGNORECASE,
)
_PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


class Version(object):
    """A PEP 440 version reduced to what the pin check compares: the public part, as a sortable key."""

    def __init__(self, text):
        m = _VERSION.match(text or "")
        if not m:
            raise ValueError("not a PEP 440 version: %r" % (text,))
        self.text = text
        self.epoch = int(m.group("epoch") or 0)
        release = [int(x) for x in m.group("release").split(".")]
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        self.release = tuple(release)
        self.pre = (_PRE[m.group("pre_l").lower()], int(m.group("pre_n") or 0)) if m.group("pre_l") else None
        post = m.group("post_n1") or m.group("post_n2")
        self.post = int(post) if post is not None else (0 if m.group("post_l") else None)
        self.dev = int(m.group("dev_n") or 0) if m.group("dev_l") else None
        self.local = m.group("local")

    @property
    def is_final(self):
        return self.pre is None and self.dev is None

    def key(self):
        # PEP 440 ordering: dev < pre < final < post; the local part is not part of the public version.
        pre = self.pre if self.pre is not None else ((-1, 0) if self.dev is not None and self.post is None else (3, 0))
        post = self.post if self.post is not None else -1
        dev = self.dev if self.dev is not None else float("inf")
        return (self.epoch, self.release, pre, post, dev)

    def public(self):
        return self.text.split("+", 1)[0]

    def part(self, i):
        return self.release[i] if i < len(self.release) else 0


def matches(found, wanted, rule):
    """Whether installed version `found` satisfies pin `wanted` under `rule` ('exact' or 'patch')."""
    f, w = Version(found), Version(wanted)
    if rule == "exact":
        return f.key() == w.key()
    # ~=X.Y.Z: same epoch, X and Y, and not older than the pin; pre-releases are never compatible.
    return f.is_final and f.epoch == w.epoch and f.part(0) == w.part(0) and f.part(1) == w.part(1) and f.key() >= w.key()


def rule_for(name):
    return "exact" if name in EXACT else "patch"


def wanted_spec(name, wanted):
    return "%s==%s" % (name, wanted) if rule_for(name) == "exact" else "%s~=%s" % (name, wanted)


def install_hint(name, wanted):
    if name in TORCH_INDEX:
        return "pip install '%s' --index-url https://download.pytorch.org/whl/cu128 (any +cuXXX build of that release is fine)" % wanted_spec(name, wanted)
    if name == "flash-attn":
        return "pip install 'flash-attn==%s' --no-build-isolation, or run with --engine-opt attnImplementation=sdpa" % wanted
    if name == "deepspeed":
        return "pip install '%s', or train without DeepSpeed: --engine-opt distributed=single (one GPU) or ddp" % wanted_spec(name, wanted)
    return "pip install '%s'" % wanted_spec(name, wanted)


def installed_version(name):
    import importlib.metadata as metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def allowed_unpinned(env=None):
    """CLSRL_ALLOW_UNPINNED: '1' (everything) or a comma list of package names; a set, or True for all."""
    raw = (os.environ if env is None else env).get("CLSRL_ALLOW_UNPINNED", "").strip()
    if raw in ("", "0"):
        return set()
    if raw == "1":
        return True
    return set(x.strip() for x in raw.split(",") if x.strip())


def check(pins, required, version_of=installed_version, allow=None):
    """One row per pinned package: name, found, wanted, rule, ok, required, allowed, hint."""
    allow = allowed_unpinned() if allow is None else allow
    rows = []
    for name in sorted(pins):
        wanted = pins[name]
        found = version_of(name)
        try:
            ok = found is not None and matches(found, wanted, rule_for(name))
            problem = None if ok else ("not installed" if found is None else "%s is installed, %s wanted" % (found, wanted_spec(name, wanted)))
        except ValueError as err:
            ok, problem = False, str(err)
        rows.append({
            "name": name,
            "found": found,
            "wanted": wanted_spec(name, wanted),
            "rule": rule_for(name),
            "ok": ok,
            "required": name in required,
            "allowed": (not ok) and (allow is True or name in allow),
            "problem": problem,
            "hint": None if ok else install_hint(name, wanted),
        })
    return rows


def required_packages(distributed):
    """What train.py needs for a distributed strategy: DeepSpeed only for the ZeRO stages."""
    return set(CORE) | ({"deepspeed"} if distributed in ("zero2", "zero3") else set())


def refusal(rows):
    """The message train.py stops with, or None when every required package is ok or allowed."""
    bad = [r for r in rows if r["required"] and not r["ok"] and not r["allowed"]]
    if not bad:
        return None
    lines = ["the installed Python stack does not match this run folder's pins (requirements.txt):"]
    for r in bad:
        lines.append("  - %s: found %s, wanted %s. Fix: %s" % (r["name"], r["found"] or "nothing (not installed)", r["wanted"], r["hint"]))
    lines.append("Or run anyway with CLSRL_ALLOW_UNPINNED=%s (or =1 for every package); results may then differ from the pinned stack."
                 % ",".join(r["name"] for r in bad))
    return "\n".join(lines)


def notes(rows):
    """One line per package accepted only because CLSRL_ALLOW_UNPINNED allowed it (train.py logs them)."""
    return ["%s %s accepted by CLSRL_ALLOW_UNPINNED (pinned %s)" % (r["name"], r["found"], r["wanted"]) for r in rows if r["required"] and r["allowed"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check installed Python packages against clsrl's TRL pins.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pins", help="JSON object package -> pinned version (clsrl's PYTHON_PINS)")
    source.add_argument("--config", help="a run folder's config.json (its `pins`, and `distributed` if present)")
    parser.add_argument("--require", action="append", default=[], help="also require this package (repeatable)")
    parser.add_argument("--distributed", help="single|ddp|zero2|zero3|fsdp: deepspeed is required for zero2/zero3")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    options = parser.parse_args(argv)
    distributed = options.distributed
    if options.config:
        with open(options.config, "r", encoding="utf-8") as handle:
            config = json.load(handle)
        pins = config["pins"]
        distributed = distributed or config.get("distributed")
    else:
        try:
            pins = json.loads(options.pins)
        except ValueError as err:
            parser.error("--pins is not JSON: %s" % err)
        if not isinstance(pins, dict):
            parser.error("--pins must be a JSON object of package -> version")
    required = required_packages(distributed or "zero3") | set(options.require)
    rows = check(pins, required)
    message = refusal(rows)
    if options.json:
        sys.stdout.write(json.dumps({"python": sys.version.split()[0], "executable": sys.executable, "ok": message is None, "packages": rows}, indent=2) + "\n")
    else:
        for r in rows:
            state = "ok" if r["ok"] else ("allowed" if r["allowed"] else ("PROBLEM" if r["required"] else "optional"))
            sys.stdout.write("%-14s %-22s %-26s %-8s %s\n" % (r["name"], r["found"] or "-", r["wanted"], state, r["hint"] or ""))
        if message:
            sys.stderr.write(message + "\n")
    return 0 if message is None else 1


if __name__ == "__main__":
    sys.exit(main())
