"""Where models run: --device and $NER_DEVICE name a device this machine has, or are refused with a message."""
import pytest
import torch

from ner_core.cli import main
from ner_core.models.device import DeviceError, resolve_device
from ner_core.models.pipeline import load_any

NO_GPU = not torch.cuda.is_available()


def test_devices_by_name(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("NER_DEVICE", "cpu")
    assert resolve_device(None) == torch.device("cpu")
    monkeypatch.delenv("NER_DEVICE")
    assert resolve_device(None) == resolve_device("auto")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
    with pytest.raises(DeviceError, match="unknown device 'tpu': use auto, cpu, cuda, cuda:N or mps"):
        resolve_device("tpu")


@pytest.mark.skipif(not NO_GPU, reason="this machine has a CUDA GPU")
def test_a_gpu_that_is_not_there_is_refused_with_a_message(capsys):
    for spec in ("cuda", "cuda:1"):
        with pytest.raises(DeviceError, match=f"--device {spec}: torch .* sees no CUDA GPU on this machine; use --device cpu"):
            resolve_device(spec)
    assert main(["predict", "--text", "Angela Merkel visited Paris.", "--model", "bilstm_crf", "--device", "cuda"]) == 1
    assert "sees no CUDA GPU" in capsys.readouterr().err


def test_a_pipeline_tags_on_the_device_it_was_loaded_on():
    pipeline = load_any("voted", "cpu")
    devices = {p.device for m in (pipeline.strong.model, pipeline.weak.model, pipeline.detector) for p in m.parameters()}
    assert devices == {torch.device("cpu")}
    [tagged] = pipeline.tag([["Angela", "Merkel", "visited", "Paris", "."]])
    assert tagged.tags[:2] == ("B-per", "I-per") and tagged.detector_prob is not None
