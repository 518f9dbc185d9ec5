"""Trainer entry for a clsrl TRL run folder: `accelerate launch -m clsrl_trl.train --config config.json`.

Runs TRL's GRPOTrainer (rewards from clsrl's reward server, see rewards.py) or SFTTrainer with the
arguments in config.json verbatim, then saves the final checkpoint to output/final and the trainer
state to output/trainer_state.json. Every hyper-parameter comes from config.json; nothing is chosen here.
"""

import argparse
import dataclasses
import json
import os
import sys
import time


def fail(message):
    sys.stderr.write("clsrl_trl: " + message + "\n")
    sys.exit(2)


def load_config(path):
    with open(path, "r", encoding="utf-8") as handle:
        return json.load(handle)


def check_pins(config):
    """Refuses a Python stack other than the folder's pins (PEP 440 public versions, see pins.py)."""
    from . import pins

    rows = pins.check(config["pins"], pins.required_packages(config.get("distributed", "zero3")))
    message = pins.refusal(rows)
    if message:
        fail(message)
    for note in pins.notes(rows):
        log_note(note)


def log_note(message):
    sys.stdout.write("clsrl_trl: note: " + message + "\n")
    sys.stdout.flush()


def resolve_attention(model_kwargs, has_module=None):
    """flash_attention_2 needs the flash_attn package; without it train with sdpa and say so (returns the note)."""
    import importlib.util

    has_module = has_module or (lambda name: importlib.util.find_spec(name) is not None)
    if model_kwargs.get("attn_implementation") != "flash_attention_2" or has_module("flash_attn"):
        return None
    model_kwargs["attn_implementation"] = "sdpa"
    return ("flash_attn is not installed: attention falls back from flash_attention_2 to sdpa (PyTorch's fused "
            "kernel; same maths, different rounding). Install flash-attn==2.8.3 for the pinned kernel, or pass "
            "--engine-opt attnImplementation=sdpa to say so explicitly.")


def resolve_device(args, cuda_available=None):
    """Without a CUDA device, train on the CPU (transformers refuses bf16 there unless use_cpu is set); returns the note."""
    if cuda_available is None:
        import torch

        cuda_available = torch.cuda.is_available()
    if cuda_available or args.get("use_cpu"):
        return None
    args["use_cpu"] = True
    return "no CUDA device visible: training on the CPU (use_cpu=True, bf16 autocast on the CPU); this is for smoke tests, not for the paper's runs."


def make_args(cls, values):
    """Builds GRPOConfig/SFTConfig from config.json, refusing fields this TRL version does not have."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        fail("%s has no field(s) %s in this TRL version; install the pinned version." % (cls.__name__, ", ".join(unknown)))
    return cls(**values)


def load_rows(path, image_columns):
    from datasets import Image, Sequence, load_dataset

    dataset = load_dataset("json", data_files=path, split="train")
    for column, is_list in image_columns:
        dataset = dataset.cast_column(column, Sequence(Image()) if is_list else Image())
    return dataset


def log_callback():
    from transformers import TrainerCallback

    class ClsrlLog(TrainerCallback):
        """Adds wall time to each log entry and echoes it as a `CLSRL_LOG {json}` line clsrl parses live."""

        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.time()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not state.log_history:
                return
            entry = state.log_history[-1]
            entry["clsrl_elapsed_s"] = time.time() - self.start
            sys.stdout.write("CLSRL_LOG " + json.dumps(entry) + "\n")
            sys.stdout.flush()

    return ClsrlLog()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    options = parser.parse_args(argv)
    config = load_config(options.config)
    os.chdir(os.path.dirname(os.path.abspath(options.config)))
    check_pins(config)
    notes = []
    attention = resolve_attention(config["args"].setdefault("model_init_kwargs", {}))
    if attention:
        log_note(attention)
        notes.append(attention)
    device = resolve_device(config["args"])
    if device:
        log_note(device)
        notes.append(device)

    from transformers import AutoProcessor

    model = config["model"]
    processor = AutoProcessor.from_pretrained(
        model["nameOrPath"], min_pixels=model["minPixels"], max_pixels=model["maxPixels"]
    )
    if config["trainer"] == "grpo":
        from trl import GRPOConfig, GRPOTrainer

        from .rewards import make_reward_funcs

        url = os.environ.get("CLSRL_REWARD_URL")
        if not url:
            fail("CLSRL_REWARD_URL is not set; start `clsrl serve-rewards` and export its URL.")
        rewards = config["rewards"]
        trainer = GRPOTrainer(
            model=model["nameOrPath"],
            reward_funcs=make_reward_funcs(url, rewards["method"], rewards["names"], os.environ.get("CLSRL_REWARD_TOKEN")),
            args=make_args(GRPOConfig, config["args"]),
            train_dataset=load_rows(config["data"]["train"], [("image", False)]),
            processing_class=processor,
            callbacks=[log_callback()],
        )
    elif config["trainer"] == "sft":
        from trl import SFTConfig, SFTTrainer

        trainer = SFTTrainer(
            model=model["nameOrPath"],
            args=make_args(SFTConfig, config["args"]),
            train_dataset=load_rows(config["data"]["train"], [("images", True)]),
            processing_class=processor,
            callbacks=[log_callback()],
        )
    else:
        fail("unknown trainer %r in config.json" % config["trainer"])

    trainer.train()
    final_dir = os.path.join(config["args"]["output_dir"], "final")
    trainer.save_model(final_dir)
    trainer.save_state()
    if trainer.accelerator.is_main_process:
        processor.save_pretrained(final_dir)
        with open(os.path.join(config["args"]["output_dir"], "clsrl-done.json"), "w", encoding="utf-8") as handle:
            json.dump({
                "final": os.path.abspath(final_dir),
                "runId": config["clsrl"]["runId"],
                "attnImplementation": config["args"]["model_init_kwargs"].get("attn_implementation"),
                "notes": notes,
            }, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
