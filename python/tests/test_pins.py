"""Unit tests of clsrl_trl.pins (standard library only): `python3 -m unittest discover -s python/tests -t python`."""

import unittest

from clsrl_trl import pins
from clsrl_trl.train import resolve_attention, resolve_device

PINS = {"trl": "0.23.1", "transformers": "4.56.2", "torch": "2.8.0", "deepspeed": "0.17.6"}


class MatchesTest(unittest.TestCase):
    def test_local_part_is_ignored(self):
        # the documented install: torch from the cu128 index reports 2.8.0+cu128
        self.assertTrue(pins.matches("2.8.0+cu128", "2.8.0", "patch"))
        self.assertTrue(pins.matches("0.23.1+local.build", "0.23.1", "exact"))

    def test_patch_rule_is_compatible_release(self):
        self.assertTrue(pins.matches("4.56.3", "4.56.2", "patch"))
        self.assertTrue(pins.matches("2.8.1+cu126", "2.8.0", "patch"))
        self.assertFalse(pins.matches("4.56.1", "4.56.2", "patch"))  # older patch
        self.assertFalse(pins.matches("4.57.6", "4.56.2", "patch"))  # next minor
        self.assertFalse(pins.matches("5.56.2", "4.56.2", "patch"))  # next major
        self.assertFalse(pins.matches("4.56.3rc1", "4.56.2", "patch"))  # pre-release
        self.assertTrue(pins.matches("4.56.2.post1", "4.56.2", "patch"))

    def test_exact_rule(self):
        self.assertTrue(pins.matches("0.23.1", "0.23.1", "exact"))
        self.assertTrue(pins.matches("0.23.1.0", "0.23.1", "exact"))  # PEP 440: trailing zeros are equal
        self.assertFalse(pins.matches("0.23.2", "0.23.1", "exact"))
        self.assertFalse(pins.matches("0.23.1.dev0", "0.23.1", "exact"))

    def test_ordering(self):
        order = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.0.1"]
        keys = [pins.Version(v).key() for v in order]
        self.assertEqual(keys, sorted(keys))

    def test_bad_version(self):
        self.assertRaises(ValueError, pins.Version, "not-a-version")


class CheckTest(unittest.TestCase):
    def rows(self, installed, required=("trl", "transformers", "torch"), allow=frozenset()):
        return {r["name"]: r for r in pins.check(PINS, set(required), installed.get, allow)}

    def test_documented_install_passes(self):
        rows = self.rows({"trl": "0.23.1", "transformers": "4.56.2", "torch": "2.8.0+cu128"})
        self.assertTrue(all(rows[n]["ok"] for n in ("trl", "transformers", "torch")))
        self.assertIsNone(pins.refusal(list(rows.values())))

    def test_refusal_names_package_found_wanted_and_fix(self):
        rows = self.rows({"trl": "0.24.0", "transformers": "4.56.2", "torch": "2.8.0+cu128"})
        message = pins.refusal(list(rows.values()))
        self.assertIn("trl: found 0.24.0, wanted trl==0.23.1", message)
        self.assertIn("pip install 'trl==0.23.1'", message)
        self.assertIn("CLSRL_ALLOW_UNPINNED=trl", message)
        self.assertNotIn("torch", message)

    def test_missing_torch_hint_names_the_cuda_index(self):
        rows = self.rows({"trl": "0.23.1", "transformers": "4.56.2"})
        self.assertIn("found nothing (not installed), wanted torch~=2.8.0", pins.refusal(list(rows.values())))
        self.assertIn("download.pytorch.org/whl/cu128", rows["torch"]["hint"])

    def test_deepspeed_required_only_for_zero(self):
        self.assertIn("deepspeed", pins.required_packages("zero3"))
        self.assertIn("deepspeed", pins.required_packages("zero2"))
        for d in ("single", "ddp", "fsdp"):
            self.assertNotIn("deepspeed", pins.required_packages(d))
        rows = self.rows({"trl": "0.23.1", "transformers": "4.56.2", "torch": "2.8.0"})
        self.assertFalse(rows["deepspeed"]["ok"])
        self.assertIsNone(pins.refusal(list(rows.values())))  # absent but not required

    def test_allow_unpinned_by_name(self):
        self.assertEqual(pins.allowed_unpinned({"CLSRL_ALLOW_UNPINNED": "torch, transformers"}), {"torch", "transformers"})
        self.assertIs(pins.allowed_unpinned({"CLSRL_ALLOW_UNPINNED": "1"}), True)
        self.assertEqual(pins.allowed_unpinned({}), set())
        installed = {"trl": "0.23.1", "transformers": "4.57.6", "torch": "2.11.0+cu130"}
        rows = self.rows(installed, allow={"torch"})
        self.assertIn("transformers: found 4.57.6", pins.refusal(list(rows.values())))
        rows = self.rows(installed, allow={"torch", "transformers"})
        self.assertIsNone(pins.refusal(list(rows.values())))
        self.assertEqual(len(pins.notes(list(rows.values()))), 2)


class AttentionTest(unittest.TestCase):
    def test_falls_back_to_sdpa_without_flash_attn(self):
        kwargs = {"attn_implementation": "flash_attention_2"}
        note = resolve_attention(kwargs, lambda name: False)
        self.assertEqual(kwargs["attn_implementation"], "sdpa")
        self.assertIn("flash_attn is not installed", note)

    def test_keeps_flash_attention_when_present_and_other_choices(self):
        kwargs = {"attn_implementation": "flash_attention_2"}
        self.assertIsNone(resolve_attention(kwargs, lambda name: name == "flash_attn"))
        self.assertEqual(kwargs["attn_implementation"], "flash_attention_2")
        kwargs = {"attn_implementation": "eager"}
        self.assertIsNone(resolve_attention(kwargs, lambda name: False))
        self.assertEqual(kwargs["attn_implementation"], "eager")


class DeviceTest(unittest.TestCase):
    def test_cpu_only_sets_use_cpu_with_a_note(self):
        args = {"bf16": True}
        self.assertIn("training on the CPU", resolve_device(args, cuda_available=False))
        self.assertTrue(args["use_cpu"])
        args = {"bf16": True}
        self.assertIsNone(resolve_device(args, cuda_available=True))
        self.assertNotIn("use_cpu", args)


if __name__ == "__main__":
    unittest.main()
