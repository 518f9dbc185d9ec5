# Generates test/vectors/splits.json: Dassl's generate_fewshot_dataset + subsample_classes (copied
# algorithm, CoOp/Dassl @c61a1b5) run with CPython `random` on synthetic split lists, for seeds 1, 2, 3.
# harness/splits.ts must pick the same items. Run: python3 test/vectors/make_split_vectors.py
import json
import math
import os
import random
from collections import defaultdict


def split_dataset_by_label(data_source):
    output = defaultdict(list)
    for item in data_source:
        output[item["label"]].append(item)
    return output


def generate_fewshot_dataset(data_source, num_shots):
    if num_shots < 1:
        return data_source
    dataset = []
    for label, items in split_dataset_by_label(data_source).items():
        if len(items) >= num_shots:
            sampled_items = random.sample(items, num_shots)
        else:
            sampled_items = items
        dataset.extend(sampled_items)
    return dataset


def subsample_classes(*args, subsample="all"):
    if subsample == "all":
        return args
    labels = sorted(set(item["label"] for item in args[0]))
    m = math.ceil(len(labels) / 2)
    selected = labels[:m] if subsample == "base" else labels[m:]
    relabeler = {y: y_new for y_new, y in enumerate(selected)}
    return [[dict(item, label=relabeler[item["label"]]) for item in ds if item["label"] in selected] for ds in args]


def make_list(sizes, rng, tag):
    items = [{"id": f"{tag}{c}_{i}", "label": c} for c, n in enumerate(sizes) for i in range(n)]
    rng.shuffle(items)  # interleaved: labels first appear out of order
    return items


gen = random.Random(12345)
cases = []
lists = {
    "small": {"train": make_list([20, 3, 17, 5, 1, 30, 16, 4, 9], gen, "t"), "val": make_list([8, 2, 5, 4, 1, 6, 3, 4, 2], gen, "v"),
              "test": make_list([3] * 9, gen, "s")},
    "large": {"train": make_list([120, 50, 86, 85, 84, 22, 21, 200, 16, 15, 60], gen, "t"), "val": make_list([30, 20, 10, 5, 4, 3, 22, 21, 1, 2, 9], gen, "v"),
              "test": make_list([4] * 11, gen, "s")},
}
for name, lst in lists.items():
    for seed in [1, 2, 3]:
        for shots in [1, 2, 4, 8, 16]:
            random.seed(seed)  # Dassl: set_random_seed(cfg.SEED) before the dataset is built
            train = generate_fewshot_dataset(lst["train"], shots)
            val = generate_fewshot_dataset(lst["val"], min(shots, 4))
            case = {"list": name, "seed": seed, "shots": shots, "train": [it["id"] for it in train], "val": [it["id"] for it in val]}
            for sub in ["base", "new"]:
                tr, va, te = subsample_classes(train, val, lst["test"], subsample=sub)
                case[sub] = {k: [[it["id"], it["label"]] for it in v] for k, v in zip(["train", "val", "test"], [tr, va, te])}
            cases.append(case)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "splits.json")
with open(path, "w") as f:
    json.dump({"lists": lists, "cases": cases}, f)
    f.write("\n")
print("wrote", path, len(cases), "cases")
