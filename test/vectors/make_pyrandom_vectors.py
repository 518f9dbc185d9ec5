# Generates test/vectors/pyrandom.json: CPython `random` outputs that harness/random/pyrandom.ts must
# reproduce bit for bit. Run with python3 (3.11 used): python3 test/vectors/make_pyrandom_vectors.py
import json
import os
import random
import sys

out = {"python": sys.version.split()[0], "seeds": []}
for seed in [0, 1, 2, 3, 42, 100, -7, 2**32 + 5, 2**70 + 123456789]:
    r = random.Random(seed)
    entry = {"seed": str(seed)}
    entry["uint32"] = [r.getrandbits(32) for _ in range(8)]
    entry["random"] = [repr(r.random()) for _ in range(5)]
    entry["getrandbits"] = [[k, str(r.getrandbits(k))] for k in [1, 5, 17, 31, 32, 33, 48, 53, 64, 100, 130]]
    entry["randbelow"] = [[str(n), str(r._randbelow(n))] for n in [1, 2, 3, 7, 10, 1000, 2**31 + 1, 2**40 + 3, 10**15 + 7, 2**80 + 1]]
    entry["choice"] = [r.choice(list(range(n))) for n in [1, 5, 37, 1000]]
    out["seeds"].append(entry)

# sample: fresh generator per case; n around the setsize boundaries (21 for k<=5, 85 for 5<k<=21, 277 for 21<k<=85).
samples = []
for seed in [1, 2, 3, 100]:
    for n, k in [(20, 4), (21, 4), (22, 4), (5, 5), (30, 1), (100, 16), (84, 8), (85, 8), (86, 8), (85, 16), (86, 16),
                 (276, 22), (277, 22), (278, 22), (1000, 50), (10, 0), (16, 16), (3, 3), (50, 6), (22, 6)]:
        r = random.Random(seed)
        s1 = r.sample(range(n), k)
        s2 = r.sample(range(n), k)  # continuation of the same stream
        samples.append({"seed": seed, "n": n, "k": k, "first": s1, "second": s2})
out["sample"] = samples

shuffles = []
for seed in [1, 2, 3, 100]:
    for n in [0, 1, 2, 5, 10, 47, 100, 397]:
        r = random.Random(seed)
        x = list(range(n))
        r.shuffle(x)
        y = list(range(n))
        r.shuffle(y)
        shuffles.append({"seed": seed, "n": n, "first": x, "second": y})
out["shuffle"] = shuffles

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyrandom.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", path)
