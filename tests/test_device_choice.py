"""`auto` trains where this model trains faster, and says why; explicit devices stay as chosen."""
import torch

from playground.training import device_choice
from playground.network.preset import resolve_preset
from playground.training.trainer import Trainer


def test_explicit_devices_are_kept_and_said():
    trainer = Trainer(resolve_preset("xor_mlp"), device="cpu")
    assert trainer.device == torch.device("cpu") == trainer.device_choice.device
    assert trainer.device_choice.line() == "device cpu: as chosen (device 'cpu')"


def test_auto_without_an_accelerator_says_so():
    if torch.cuda.is_available():
        return  # the probe decides there (benchmarks/gpu_check.py checks it)
    choice = Trainer(resolve_preset("xor_mlp"), device="auto").device_choice
    assert choice.device.type == "cpu" and "no CUDA or MPS device" in choice.reason


def test_the_faster_device_wins_by_a_margin(monkeypatch):
    trainer = Trainer(resolve_preset("xor_mlp"), device="cpu")
    gpu = torch.device("cuda", 0)
    for gpu_rate, cpu_rate, winner in ((3000.0, 1000.0, "cuda"), (600.0, 3700.0, "cpu"), (1050.0, 1000.0, "cpu")):
        rates = {"cuda": gpu_rate, "cpu": cpu_rate}
        monkeypatch.setattr(device_choice, "steps_per_second",
                            lambda model, ts, kind, x, y, device, seconds=0.1: rates[device.type])
        choice = device_choice.choose_faster(trainer.model, trainer.ts, trainer.kind, trainer.x_train[:8],
                                             trainer.y_train[:8], gpu)
        assert choice.device.type == winner, choice
        first, second = (gpu_rate, cpu_rate) if winner == "cuda" else (cpu_rate, gpu_rate)
        assert f"({first:.0f} vs {second:.0f} steps/s" in choice.reason and "short probe" in choice.reason
        assert choice.steps_per_s == {"cuda:0": gpu_rate, "cpu": cpu_rate}


def test_a_probe_is_cached_per_network_and_batch(monkeypatch):
    trainer = Trainer(resolve_preset("xor_mlp"), device="cpu")
    calls = []
    monkeypatch.setattr(device_choice, "steps_per_second",
                        lambda *a, **k: calls.append(1) or 100.0)
    key = device_choice.probe_key(trainer.preset.model, trainer.ts, "xor", {}) + "-test"
    for _ in range(3):
        device_choice.choose_faster(trainer.model, trainer.ts, trainer.kind, trainer.x_train[:8],
                                    trainer.y_train[:8], torch.device("cuda", 0), key=key)
    assert len(calls) == 2  # one probe of each device, then the cache


def test_the_probe_times_real_steps_on_the_cpu():
    trainer = Trainer(resolve_preset("xor_mlp"), device="cpu")
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    rate = device_choice.steps_per_second(trainer.model, trainer.ts, trainer.kind, trainer.x_train[:32],
                                          trainer.y_train[:32], torch.device("cpu"), seconds=0.02)
    assert rate > 0
    assert all(torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())  # it trained a copy
