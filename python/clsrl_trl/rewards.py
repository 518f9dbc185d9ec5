"""Reward client: TRL reward functions that score completions on clsrl's reward server (`clsrl serve-rewards`).

Standard library only (urllib), so trainer and evaluator share one implementation of the rewards: the
TypeScript `scoreCompletion`. Also a small CLI used by clsrl's bridge test:
    python3 -m clsrl_trl.rewards --url http://127.0.0.1:8765 --method cls-rl < items.jsonl
where each input line is {"completion": ..., "label": ...}; prints one JSON list of scores.
`--math-verify true|false` sends the run's cls-rl `mathVerify` with every item (absent: the method's default).
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

RETRY_STATUSES = (429, 500, 502, 503, 504)


class RewardServerError(RuntimeError):
    """The reward server refused a request or could not be reached."""


def score(url, items, token=None, timeout=60.0, retries=4):
    """POST items [{method, completion, label}] to <url>/score and return the list of scores.

    Retries with exponential backoff on connection errors, 429 and 5xx; other 4xx fail at once.
    """
    body = json.dumps({"items": items}).encode("utf-8")
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    delay = 0.5
    for attempt in range(retries + 1):
        request = urllib.request.Request(url.rstrip("/") + "/score", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))["scores"]
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            if err.code not in RETRY_STATUSES or attempt == retries:
                raise RewardServerError("reward server answered %d: %s" % (err.code, detail)) from err
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            if attempt == retries:
                raise RewardServerError("reward server at %s unreachable: %s" % (url, err)) from err
        time.sleep(delay)
        delay *= 2
    raise RewardServerError("unreachable")


def completion_text(completion):
    """TRL passes plain strings (standard format) or [{'role': 'assistant', 'content': ...}] (conversational)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        content = completion[-1].get("content", "")
        if isinstance(content, list):  # content parts
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return content
    raise TypeError("unexpected completion shape: %r" % (completion,))


class RewardClient:
    """Scores a batch once and serves each named reward from that one reply (TRL calls every reward
    function on the same batch in turn)."""

    def __init__(self, url, method, token=None, timeout=60.0, options=None):
        self.url = url
        self.method = method
        self.options = dict(options or {})  # per-run reward options sent with each item, e.g. {"mathVerify": False}
        self.token = token
        self.timeout = timeout
        self._last_key = None
        self._last_scores = None

    def scores(self, completions, labels):
        texts = [completion_text(c) for c in completions]
        key = (tuple(texts), tuple(labels))
        if key != self._last_key:
            items = [dict(self.options, method=self.method, completion=t, label=l) for t, l in zip(texts, labels)]
            self._last_scores = score(self.url, items, self.token, self.timeout)
            self._last_key = key
        return self._last_scores

    def reward_func(self, name):
        """A TRL reward function for reward `name` (its __name__ becomes the logged `rewards/<name>`)."""

        def reward(completions, solution, **kwargs):
            return [float(s["rewards"].get(name, 0.0)) for s in self.scores(completions, solution)]

        reward.__name__ = name
        reward.__qualname__ = name
        return reward


def make_reward_funcs(url, method, reward_names, token=None, options=None):
    """One TRL reward function per reward name, all backed by one client."""
    client = RewardClient(url, method, token, options=options)
    return [client.reward_func(name) for name in reward_names]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Score JSON lines {completion, label} on a clsrl reward server.")
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--token", default=os.environ.get("CLSRL_REWARD_TOKEN"))
    parser.add_argument("--reward", action="append", default=[], help="also print these rewards as TRL would")
    parser.add_argument("--math-verify", choices=["true", "false"], help="send mathVerify with every item")
    args = parser.parse_args(argv)
    options = {} if args.math_verify is None else {"mathVerify": args.math_verify == "true"}
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    completions = [r["completion"] for r in rows]
    labels = [r["label"] for r in rows]
    client = RewardClient(args.url, args.method, args.token, options=options)
    out = {"scores": client.scores(completions, labels)}
    for name in args.reward:
        out[name] = client.reward_func(name)(completions=completions, solution=labels)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
