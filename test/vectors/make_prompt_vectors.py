# Generates test/vectors/prompts.json: candidate lists drawn the way the CLS-RL notebook's choice_list
# does (shared class list shuffled in place per example, label forced into the last slot if missing, then the
# n names shuffled), with `random` seeded once and consumed in item order, as harness/prompts.ts documents.
# Run: python3 test/vectors/make_prompt_vectors.py
import json
import os
import random


def choice_n_code(c):
    n = int(c * 0.4)
    if n < 30:
        n = c
    return min(n, 100)


def draw(classnames, labels, n, seed):
    random.seed(seed)
    pool = list(classnames)
    out = []
    for label in labels:
        random.shuffle(pool)
        cands = pool[:n]
        if label not in cands:
            cands = cands[:-1] + [label]
        random.shuffle(cands)
        text = (' Please choose one from list [ ' + ', '.join(cands)).strip() + '].'
        out.append({"candidates": cands, "text": text})
    return out


gen = random.Random(7)
cases = []
small = ["Annual Crop Land", "Forest", "Herbaceous Vegetation Land", "Highway or Road", "Industrial Buildings",
         "Pasture Land", "Permanent Crop Land", "Residential Buildings", "River", "Sea or Lake"]
big = [f"class_{i:03d}" for i in range(47)] + ["missile", "missile"]  # 49 names, one duplicated (as ImageNet)
huge = [f"name {i}" for i in range(397)]
mid = [f"mid-{i}/x" for i in range(80)]
for name, classes in [("small", small), ("big", big), ("mid", mid), ("huge", huge)]:
    labels = [gen.randrange(len(classes)) for _ in range(25)]
    for seed in [1, 2, 100]:
        n = choice_n_code(len(classes))
        cases.append({"classes": name, "seed": seed, "n": n, "labels": labels, "out": draw(classes, [classes[l] for l in labels], n, seed)})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prompts.json")
with open(path, "w") as f:
    json.dump({"classes": {"small": small, "big": big, "mid": mid, "huge": huge}, "cases": cases}, f)
    f.write("\n")
print("wrote", path, len(cases), "cases")
