# Generates test/vectors/math-verify.json: what the CLS-RL paper's accuracy_reward (src/cls-rl/src/open_r1/grpo.py
# of minglllli/CLS-RL: math_verify's verify(parse(completion), parse(solution)) first, then the lower-cased
# single-line <answer> string match) gives on class-label strings, computed by the real math_verify library.
# harness/mathverify.ts is checked against this file by test/unit/mathverify.test.ts.
#
# Library versions: math-verify 0.7.0 (the newest release when the paper's code was published, 2025-03-21; its
# setup.py leaves math-verify unpinned) with its pinned latex2sympy2_extended 1.10.1 and
# antlr4-python3-runtime 4.13.2, sympy 1.14.0. Install them (`pip install math-verify==0.7.0`), or, without a
# package index, put source checkouts on PYTHONPATH: huggingface/Math-Verify at tag 0.7.0 (src/) and
# huggingface/latex2sympy2_extended at its 1.10.1 commit (src/, after generating its ANTLR parser with
# `java -jar antlr-4.13.2-complete.jar PS.g4 -o gen/antlr4_13_2` in src/latex2sympy2_extended, as its
# scripts/compile.sh does, plus empty __init__.py files in gen/ and gen/antlr4_13_2/).
# Run: python3 test/vectors/make_math_verify_vectors.py
import importlib.metadata
import json
import logging
import os
import re

import sympy
from math_verify import parse, verify

logging.disable(logging.CRITICAL)  # math_verify logs every parse failure at ERROR level

# (completion, label): the cases, their negatives, and the number/expression/LaTeX shapes that occur in
# CoOp class names (FGVCAircraft variants, StanfordCars years) or in a model's think text.
CASES = [
    # the cases
    ("<think>The aircraft is a Falcon 2000</think><answer>Falcon 2000</answer>", "Saab 2000"),
    ("<think>A business jet.</think><answer>Embraer Legacy 600</answer>", "Challenger 600"),
    ("<think>A regional airliner, a Saab 2000 I think</think><answer>Boeing 717</answer>", "Saab 2000"),
    ("<think>It looks like a Saab 2000</think><answer>Boeing</answer>", "Saab 2000"),
    ("<think>twin turboprop</think><answer>\\boxed{1900}</answer>", "Beechcraft 1900"),
    ("\\boxed{1900}", "Beechcraft 1900"),
    ("The answer is \\boxed{1900}.", "Beechcraft 1900"),
    # their negatives
    ("<think>The aircraft is a Falcon 900</think><answer>Falcon 900</answer>", "Saab 2000"),
    ("<think>A business jet.</think><answer>Embraer Legacy 650</answer>", "Challenger 600"),
    ("<think>The tail says 2000</think><answer>Falcon 900</answer>", "Saab 2000"),
    ("<think>It seats 600</think><answer>Boeing 737</answer>", "Challenger 600"),
    ("<think>twin turboprop</think><answer>\\boxed{1950}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Saab 2000</answer>", "Abyssinian"),
    ("<think>x</think><answer>Abyssinian</answer>", "Abyssinian"),
    ("<think>x</think><answer>Persian</answer>", "Abyssinian"),
    ("<think>x</think><answer>Forest</answer>", "Forest"),
    ("2000", "Saab 2000"),
    ("Saab 2000", "Saab 2000"),
    ("<answer>2000</answer>", "Saab 2000"),
    ("<answer>Saab 2000</answer>", "2000"),
    ("<answer>1900</answer>", "1900"),
    # expressions: digits with an operator are evaluated
    ("<think>x</think><answer>Boeing 727-340</answer>", "Boeing 707-320"),
    ("<think>x</think><answer>Boeing 737-300</answer>", "Boeing 737-200"),
    ("<think>x</think><answer>737-200</answer>", "737-200"),
    ("<think>x</think><answer>Boeing 737-200</answer>", "737-200"),
    ("<think>x</think><answer> 737-200</answer>", "737-200"),
    ("<think>x</think><answer>Fokker 70+30</answer>", "Fokker 100"),
    ("<think>x</think><answer>DC-9-30</answer>", "DC-9-30"),
    ("<think>x</think><answer>DHC-8-300</answer>", "DHC-8-100"),
    ("<think>x</think><answer>MD-80</answer>", "MD-87"),
    ("<think>x</think><answer>F/A-18</answer>", "F-16A/B"),
    ("<think>x</think><answer>A300B4</answer>", "A310"),
    ("<think>x</think><answer>Cessna 172</answer>", "Cessna 172"),
    ("<think>x</think><answer>Cessna 208</answer>", "Cessna 172"),
    ("<think>x</think><answer>BAE 146-300</answer>", "BAE 146-200"),
    ("<think>x</think><answer>ERJ 145</answer>", "ERJ 135"),
    ("<think>x</think><answer>Tu-154</answer>", "Tu-134"),
    # years in StanfordCars names
    ("<think>x</think><answer>Audi TT Hatchback 2011</answer>", "Audi S4 Sedan 2012"),
    ("<think>x</think><answer>BMW M3 Coupe 2012</answer>", "Audi S4 Sedan 2012"),
    ("<think>x</think><answer>2012 BMW M3 Coupe</answer>", "Audi S4 Sedan 2012"),
    ("<think>x</think><answer>BMW 3 Series Sedan 2012</answer>", "BMW 1 Series Coupe 2012"),
    ("<think>x</think><answer>BMW 1 Series Coupe 2010</answer>", "BMW 1 Series Coupe 2012"),
    # CoOp's StanfordCars names lead with the year: inside <answer> it follows '>', in the think text a space
    ("<think>It is a 2012 Tesla Model S</think><answer>2012 Tesla Model S</answer>", "2012 Ram C/V Cargo Van Minivan"),
    ("<think>x</think><answer>2012 Tesla Model S</answer>", "2012 Ram C/V Cargo Van Minivan"),
    ("<think>It is a 2007 Hyundai Elantra Sedan</think><answer>2007 Hyundai Elantra Sedan</answer>", "2012 Tesla Model S"),
    # number formats
    ("<think>x</think><answer>Beechcraft 1,900</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 1 900</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 1900.0</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 1900.0000001</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 01900</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 1900%</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 19</answer>", "Beechcraft 1900%"),
    ("<think>x</think><answer>price $1900</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft -1900</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 1900s</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft1900</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 3800/2</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 950*2</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft (1900)</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 1900, 2000</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft 1900 or Saab 2000</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Saab 2000 or Beechcraft 1900</answer>", "Beechcraft 1900"),
    # anchors: "answer", "final answer is", "=", and where the <answer> tag's own word counts
    ("The final answer is 1900", "Beechcraft 1900"),
    ("The final answer is 1900. I hope it is correct. Saab 2000", "Beechcraft 1900"),
    ("Answer: 1900 and later 2000", "Beechcraft 1900"),
    ("answer = 1900, x = 2000", "Beechcraft 1900"),
    ("<think>The answer could be 1900 but</think><answer>Saab</answer>", "Beechcraft 1900"),
    ("<think>seats = 600</think><answer>Challenger</answer>", "Challenger 600"),
    ("<think>2000 or 1900</think><answer>Saab</answer>", "Beechcraft 1900"),
    ("<think>1900 or 2000</think><answer>Saab</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\n1900\n</answer>", "Beechcraft 1900"),
    ("<think>x</think>\n<answer>Saab\n2000</answer>", "Saab 2000"),
    ("<think>the number\n1900</think><answer>Saab</answer>", "Beechcraft 1900"),
    # LaTeX environments
    ("<think>x</think><answer>$1900$</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>Beechcraft $1900$</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\(1900\\)</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\[1900\\]</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>$$1900$$</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>$\\frac{3800}{2}$</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\frac{3800}{2}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{Beechcraft 1900}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{\\text{Beechcraft 1900}}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{\\text{Saab 2000}}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{Saab}</answer> 1900", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{1900} and \\boxed{2000}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{2000} then \\boxed{1900}</answer>", "Beechcraft 1900"),
    ("<think>1900</think><answer>\\boxed{Saab}</answer>", "Beechcraft 1900"),
    ("<think>1900</think><answer>$Saab$</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{1900</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{1,900}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{1900 \\text{ seats}}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{1900.}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{3800 / 2}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{950 \\times 2}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{19 \\cdot 100}</answer>", "Beechcraft 1900"),
    ("<think>x</think><answer>\\boxed{1900\\%}</answer>", "Beechcraft 19"),
    # no number in the label: nothing to verify, so only the string match can reward
    ("<think>x</think><answer>\\boxed{Abyssinian}</answer>", "Abyssinian"),
    ("<think>x</think><answer>$x$</answer>", "x"),
    ("<think>x</think><answer>A</answer>", "A"),
    # parse details: operators Python cannot read, division by zero, powers, percent, separators, LaTeX sets
    ("x 3 × 2 ", "Saab 2000"),
    ("x 1 / 0 ", "Saab 2000"),
    ("x 2 ** 3", "Beechcraft 8"),
    ("x 2^3 ", "Beechcraft 8"),
    ("x 12.5%", "Beechcraft 0.125"),
    ("x 1,234,567.5", "Saab 2000"),
    ("$\\frac{1}{3}$ and $2$", "Saab 2000"),
    ("$1900$ and $1900$", "Beechcraft 1900"),
    ("2009 Norvik Sedan", "2009 Corsa Coupe"),
    # case and spacing for the string fallback
    ("<think>x</think><answer> saab 2000 </answer>", "Saab 2000"),
    ("<think>x</think><answer>Saab 2000</answer>", "Saab  2000"),
]


def is_finite_number(v):
    """A value that evaluates to a finite number (1/0 parses, but is zoo)."""
    try:
        return bool(getattr(v, "is_number", False)) and v.doit().is_finite is True
    except Exception:
        return False


def describe(values):
    """parse()'s list as JSON: sympy values by type and str, strings as such."""
    out = []
    for v in values:
        if isinstance(v, str):
            out.append({"str": v})
        else:
            out.append({"sympy": str(v), "type": type(v).__name__, "number": is_finite_number(v)})
    return out


def paper_accuracy_reward(content, sol):
    """accuracy_reward of the paper's grpo.py, for one completion (exceptions count as 'no reward', as there)."""
    try:
        if float(verify(parse(content), parse(sol))) > 0:
            return 1.0, True
    except Exception:
        pass
    sol_match = re.search(r"<answer>(.*?)</answer>", sol)
    ground_truth = sol_match.group(1).strip() if sol_match else sol.strip()
    content_match = re.search(r"<answer>(.*?)</answer>", content)
    student_answer = content_match.group(1).strip() if content_match else content.strip()
    return (1.0 if student_answer.lower() == ground_truth.lower() else 0.0), False


def installed_version(name):
    """The installed distribution's version; for a source checkout on PYTHONPATH, $<NAME>_VERSION (say which tag)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        env = re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_VERSION"
        return os.environ.get(env, "source checkout, version not given (set %s)" % env)


def main():
    cases = []
    for completion, label in CASES:
        reward, verified = paper_accuracy_reward(completion, label)
        cases.append({
            "completion": completion,
            "label": label,
            "parsedCompletion": describe(parse(completion)),
            "parsedLabel": describe(parse(label)),
            "verify": verified,
            "reward": reward,
        })
    versions = {name: installed_version(name) for name in ("math-verify", "latex2sympy2_extended", "antlr4-python3-runtime", "sympy")}
    doc = {"generator": "test/vectors/make_math_verify_vectors.py", "versions": versions, "cases": cases}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "math-verify.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %d cases to %s" % (len(cases), out))


if __name__ == "__main__":
    main()
