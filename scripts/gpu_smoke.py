"""The Python half of scripts/gpu-smoke.sh: a tiny Qwen2-VL built offline, and a small OpenAI-compatible server.

    python3 scripts/gpu_smoke.py build --runs results/runs --out models/tiny-qwen2vl [--steps 300]
    python3 scripts/gpu_smoke.py serve --port 8000

`build` reads the training rows of the run folders `clsrl sweep --dry-run` wrote (GRPO and SFT prompts,
image paths, labels), trains a small byte-level BPE tokenizer on their text in place, creates a random
Qwen2-VL (2 text layers of width 64, a 2-block vision tower) and teaches it the answer format for
`--steps` AdamW steps on those rows: the CLS-RL target `<think>...</think><answer>label</answer>` and the SFT
target, so GRPO's format reward is not zero everywhere (a purely random model emits image tokens, which
breaks the next forward). It saves model + processor (Qwen2-VL chat template) and prints a JSON summary:
parameters, loss before/after, and how many greedy completions have the format.

`serve` answers POST /v1/chat/completions (image as data URL + text, what clsrl's openai client sends)
with greedy or sampled `generate` of whichever checkpoint the request's `model` names (a local path,
loaded once), and GET /v1/models: enough to evaluate the smoke's checkpoints where vLLM is not installed.
"""

import argparse
import base64
import glob
import io
import json
import os
import random
import sys
import threading
import time

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]

# Qwen2-VL's chat template (images and text; a default system turn), as the released processor has it.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

PIXELS = 56 * 56  # 4x4 patches of 14 -> 4 image tokens after the 2x2 merge


def log(message):
    sys.stderr.write("gpu_smoke: " + message + "\n")
    sys.stderr.flush()


def text_of(content):
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def read_examples(runs_dir):
    """(image path, prompt text, target completion) from every run folder's train.jsonl."""
    examples = []
    for path in sorted(glob.glob(os.path.join(runs_dir, "*", "trl", "train.jsonl"))):
        with open(path, "r", encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = json.loads(line)
                prompt = text_of(row["prompt"][0]["content"])
                if "solution" in row:  # GRPO row: teach think-then-answer with the label
                    label = row["solution"]
                    examples.append((row["image"], prompt, "<think>The picture shows %s.</think><answer>%s</answer>" % (label, label)))
                else:
                    examples.append((row["images"][0], prompt, text_of(row["completion"][0]["content"])))
    if not examples:
        raise SystemExit("gpu_smoke: no train.jsonl under %s/*/trl (run `clsrl sweep ... --dry-run` first)" % runs_dir)
    return examples


def build_processor(examples, vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast, Qwen2VLImageProcessor, Qwen2VLProcessor
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    corpus = [p for _, p, _ in examples] + [c for _, _, c in examples] + ["system\nYou are a helpful assistant.", "user\n", "assistant\n"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus * 4, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tokenizer = Qwen2TokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None, bos_token=None)
    tokenizer.padding_side = "left"
    image = Qwen2VLImageProcessor(min_pixels=PIXELS, max_pixels=PIXELS)
    video = Qwen2VLVideoProcessor(min_pixels=PIXELS, max_pixels=PIXELS)
    return Qwen2VLProcessor(image_processor=image, tokenizer=tokenizer, video_processor=video, chat_template=CHAT_TEMPLATE)


def build_model(tokenizer):
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL}
    config = Qwen2VLConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=4096, rope_theta=10000.0, tie_word_embeddings=True,
        rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},  # sums to head_dim / 2 = 8
        vision_config={"depth": 2, "embed_dim": 32, "hidden_size": 64, "num_heads": 4, "mlp_ratio": 2, "patch_size": 14,
                       "spatial_merge_size": 2, "temporal_patch_size": 2, "in_channels": 3},
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"],
        torch_dtype="float32",
    )
    return Qwen2VLForConditionalGeneration(config)


def load_image(path):
    from PIL import Image

    return Image.open(path).convert("RGB")


def batch_for(processor, items, with_answer):
    texts, images = [], []
    for image, prompt, target in items:
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
        if with_answer:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": target}]})
        texts.append(processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=not with_answer))
        images.append(load_image(image))
    return processor(text=texts, images=images, padding=True, return_tensors="pt")


def teach(model, processor, examples, steps, batch_size, lr, device, seed):
    """Causal-LM steps on the assistant turns (prompt, image and padding tokens masked); returns losses."""
    import torch

    tok = processor.tokenizer
    start = tok.convert_tokens_to_ids("<|im_start|>")
    rng = random.Random(seed)
    optim = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    model.train()
    for step in range(steps):
        items = [examples[rng.randrange(len(examples))] for _ in range(batch_size)]
        batch = batch_for(processor, items, True).to(device)
        labels = batch["input_ids"].clone()
        for row in range(labels.shape[0]):
            starts = (labels[row] == start).nonzero().flatten()
            labels[row, : int(starts[-1]) + 3] = -100  # up to "<|im_start|>assistant\n" of the last turn
        labels[batch["attention_mask"] == 0] = -100
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = model(**batch, labels=labels).loss
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(float(loss))
        if step % 50 == 0 or step == steps - 1:
            log("teach step %d/%d loss %.3f" % (step + 1, steps, losses[-1]))
    model.eval()
    return losses


def has_format(text):
    import re

    return re.fullmatch(r"\s*<think>.*?</think>\s*<answer>.*?</answer>\s*", text, re.S) is not None


def generate(model, processor, items, max_new_tokens, device, temperature=0.0, repetition_penalty=1.0, seed=0):
    import torch

    batch = batch_for(processor, items, False).to(device)
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=temperature > 0, temperature=temperature if temperature > 0 else None,
                             top_p=None, top_k=None, repetition_penalty=repetition_penalty, pad_token_id=processor.tokenizer.pad_token_id)
    new = out[:, batch["input_ids"].shape[1]:]
    return processor.batch_decode(new, skip_special_tokens=True)


def pick_device(name):
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def cmd_build(options):
    import torch
    from transformers import GenerationConfig

    random.seed(options.seed)
    torch.manual_seed(options.seed)
    device = pick_device(options.device)
    examples = read_examples(options.runs)
    t0 = time.time()
    processor = build_processor(examples, options.vocab)
    model = build_model(processor.tokenizer).to(device)
    params = sum(p.numel() for p in model.parameters())
    log("%d examples, vocab %d, %d parameters, device %s" % (len(examples), len(processor.tokenizer), params, device))
    losses = teach(model, processor, examples, options.steps, options.batch, options.lr, device, options.seed)
    probe = [e for e in examples if e[2].startswith("<think>")][: options.probe]
    texts = generate(model, processor, probe, 48, device) if probe else []
    formatted = sum(1 for t in texts if has_format(t))
    eos = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = processor.tokenizer.pad_token_id
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=pad, bos_token_id=pad, do_sample=False)
    os.makedirs(options.out, exist_ok=True)
    model.to("cpu").save_pretrained(options.out)
    processor.save_pretrained(options.out)
    summary = {
        "out": os.path.abspath(options.out), "examples": len(examples), "vocab": len(processor.tokenizer), "parameters": params,
        "device": str(device), "steps": options.steps, "lossFirst": losses[0] if losses else None,
        "lossLast": sum(losses[-10:]) / len(losses[-10:]) if losses else None,
        "probe": len(probe), "probeFormatted": formatted, "sample": texts[0] if texts else None,
        "seconds": round(time.time() - t0, 1),
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


class Models(object):
    """Checkpoints by path, loaded on first use; one generate at a time."""

    def __init__(self, device):
        self.device = device
        self.loaded = {}
        self.lock = threading.Lock()

    def get(self, name):
        from transformers import AutoProcessor, Qwen2VLForConditionalGeneration

        if name not in self.loaded:
            if not os.path.isdir(name):
                raise KeyError("model %r is not a local checkpoint folder" % name)
            model = Qwen2VLForConditionalGeneration.from_pretrained(name, torch_dtype="float32").to(self.device).eval()
            self.loaded[name] = (model, AutoProcessor.from_pretrained(name))
            log("loaded %s" % name)
        return self.loaded[name]


def cmd_serve(options):
    import tempfile
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    models = Models(pick_device(options.device))

    class Handler(BaseHTTPRequestHandler):
        def reply(self, code, body):
            data = json.dumps(body).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            if self.path.rstrip("/") == "/v1/models":
                return self.reply(200, {"object": "list", "data": [{"id": k, "object": "model"} for k in models.loaded]})
            self.reply(404, {"error": {"message": "not found"}})

        def do_POST(self):
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self.reply(404, {"error": {"message": "not found"}})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                content = body["messages"][-1]["content"]
                url = next(p["image_url"]["url"] for p in content if p.get("type") == "image_url")
                text = "".join(p.get("text", "") for p in content if p.get("type") == "text")
                with models.lock:
                    model, processor = models.get(body["model"])
                    with tempfile.NamedTemporaryFile(suffix=".img") as image:
                        image.write(base64.b64decode(url.split(",", 1)[1]))
                        image.flush()
                        outs = [generate(model, processor, [(image.name, text, None)], int(body.get("max_tokens", 64)), models.device,
                                         float(body.get("temperature", 0)), float(body.get("repetition_penalty", 1.0)), int(body.get("seed", 0)) + i)[0]
                                for i in range(int(body.get("n", 1)))]
            except KeyError as err:
                return self.reply(404, {"error": {"message": str(err)}})
            except Exception as err:  # a bad request must not stop the server
                return self.reply(400, {"error": {"message": "%s: %s" % (type(err).__name__, err)}})
            self.reply(200, {"id": "smoke", "object": "chat.completion", "model": body["model"],
                             "choices": [{"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"} for i, t in enumerate(outs)]})

    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    log("serving on http://127.0.0.1:%d/v1" % server.server_address[1])
    if options.port_file:
        with open(options.port_file, "w") as handle:
            handle.write(str(server.server_address[1]))
    server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="tokenizer + tiny Qwen2-VL taught the answer format")
    b.add_argument("--runs", required=True, help="folder of run folders (results/runs)")
    b.add_argument("--out", required=True)
    b.add_argument("--steps", type=int, default=300)
    b.add_argument("--batch", type=int, default=16)
    b.add_argument("--lr", type=float, default=3e-3)
    b.add_argument("--vocab", type=int, default=1024)
    b.add_argument("--probe", type=int, default=8, help="greedy completions checked for the format after teaching")
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--device", default="auto")
    s = sub.add_parser("serve", help="OpenAI-compatible chat completions of local checkpoints")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--port-file")
    s.add_argument("--device", default="auto")
    options = parser.parse_args(argv)
    return cmd_build(options) if options.cmd == "build" else cmd_serve(options)


if __name__ == "__main__":
    sys.exit(main())
