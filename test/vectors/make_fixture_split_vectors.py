# Generates test/vectors/fixture-splits.json: the few-shot and base/new items CPython picks when it runs
# Dassl's loaders + generate_fewshot_dataset + subsample_classes on the CoOp fixture (test/fixtures/coop.ts).
# Usage: write a fixture with makeCoopFixture(DIR), then: python3 test/vectors/make_fixture_split_vectors.py DIR
import json
import math
import os
import random
import sys
from collections import defaultdict

root = sys.argv[1]
JSON_DATASETS = {  # name: (folder, image prefix)
    "Caltech101": ("caltech-101", "101_ObjectCategories"), "OxfordPets": ("oxford_pets", "images"),
    "StanfordCars": ("stanford_cars", ""), "EuroSAT": ("eurosat", "2750"), "UCF101": ("ucf101", "UCF-101-midframes"),
}


def read_json_dataset(name):
    folder, prefix = JSON_DATASETS[name]
    with open(os.path.join(root, folder, f"split_zhou_{name}.json")) as f:
        split = json.load(f)
    conv = lambda items: [{"image": "/".join(p for p in [folder, prefix, impath] if p), "label": int(label), "classname": c} for impath, label, c in items]
    return conv(split["train"]), conv(split["val"]), conv(split["test"])


def read_fgvc():
    d = os.path.join(root, "fgvc_aircraft")
    classnames = [line.strip() for line in open(os.path.join(d, "variants.txt"))]
    lab = {c: i for i, c in enumerate(classnames)}
    def read(split):
        out = []
        for line in open(os.path.join(d, f"images_variant_{split}.txt")):
            parts = line.strip().split(" ")
            out.append({"image": f"fgvc_aircraft/images/{parts[0]}.jpg", "label": lab[" ".join(parts[1:])], "classname": " ".join(parts[1:])})
        return out
    return read("train"), read("val"), read("test")


def fewshot(data, k):
    groups = defaultdict(list)
    for it in data:
        groups[it["label"]].append(it)
    out = []
    for items in groups.values():
        out.extend(random.sample(items, k) if len(items) >= k else items)
    return out


def subsample(train, *rest, sub):
    labels = sorted(set(it["label"] for it in train))
    m = math.ceil(len(labels) / 2)
    sel = labels[:m] if sub == "base" else labels[m:]
    rl = {y: i for i, y in enumerate(sel)}
    return [[[it["image"], rl[it["label"]]] for it in ds if it["label"] in sel] for ds in (train, *rest)]


cases = []
for name in list(JSON_DATASETS) + ["FGVCAircraft"]:
    train, val, test = read_fgvc() if name == "FGVCAircraft" else read_json_dataset(name)
    for seed in [1, 2, 3]:
        for shots in [1, 2, 4, 16]:
            random.seed(seed)
            tr = fewshot(train, shots)
            va = fewshot(val, min(shots, 4))
            base = subsample(tr, va, test, sub="base")
            new = subsample(tr, va, test, sub="new")
            cases.append({"dataset": name, "seed": seed, "shots": shots, "train": [it["image"] for it in tr], "val": [it["image"] for it in va],
                          "baseTrain": base[0], "baseTest": base[2], "newTest": new[2]})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixture-splits.json")
with open(path, "w") as f:
    json.dump(cases, f)
    f.write("\n")
print("wrote", path, len(cases), "cases")
