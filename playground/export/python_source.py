"""Python source: a `model.py` a person reads and recognizes as their diagram.

The network becomes one `nn.Module` class: one attribute per node, named by the node's id (so
its state_dict keys are the playground's, and `load_state_dict` takes the exported weights as
they are), and a forward pass written line by line in the order of the graph, each value named
by its node id. The constructors come from the layer catalogue (each type's `Constructor`, the
same description building uses); the layers PyTorch has no class for are copied from
`playground/layers/modules.py` (or from the plugin that registered them), which import only
torch for this reason. The file needs nothing but torch, and the training-script export reuses
the same class.
"""
from __future__ import annotations

import inspect
import io
import keyword
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import torch

from playground.export.common import DataFacts, ExportJob, data_facts, write_together
from playground.export.standardize import expects_note
from playground.export.standardize import python_source as standardization_source
from playground.layers import CATALOGUE, fmt_shape, init_weights
from playground.layers import modules as custom_modules
from playground.layers.registry import Constructor

TAKEN_NAMES = frozenset({"Model", "Path", "Settings", "CodeTap", "Tensor", "Module"})
"""Module-level names of model.py and train.py that the network's class must not take."""


@dataclass
class ModelCode:
    """The pieces of generated source, so model.py and train.py assemble what they need."""

    class_name: str
    support: str
    """Source of the custom module classes and helpers the class uses (may be empty)."""
    class_source: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def class_name_for(name: str) -> str:
    """`xor_mlp` or "XOR with an MLP" → `XorMlp` / `XorWithAnMlp`; `Model` when nothing is left."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    camel = "".join(w[:1].upper() + w[1:].lower() if w.isupper() or w.islower() else w[:1].upper() + w[1:]
                    for w in words)
    if not camel or not camel[0].isalpha() or len(camel) > 48 or keyword.iskeyword(camel):
        return "Model"
    if camel in TAKEN_NAMES or hasattr(custom_modules, camel):
        return camel + "Net"  # a preset named "Sign" must not hide the Sign layer's class
    return camel


def _local_names(ids: list[str]) -> dict[str, str]:
    """Variable names for node ids: the id itself, unless it is a keyword or `self`."""
    taken = set(ids)
    out = {}
    for nid in ids:
        name = nid
        if keyword.iskeyword(name) or name == "self":
            while name in taken or keyword.iskeyword(name) or name == "self":
                name += "_"
            taken.add(name)
        out[nid] = name
    return out


def _attr(nid: str) -> str:
    return f"getattr(self, {nid!r})" if keyword.iskeyword(nid) else f"self.{nid}"


def _used_classes(constructors: list[Constructor]) -> list[type]:
    """The module classes torch.nn lacks (ours, or a plugin's) that the constructors name."""
    classes: list[type] = []
    for c in constructors:
        if not c.class_name.startswith("nn.") and c.module not in classes:
            classes.append(c.module)
    return classes


def model_code(job: ExportJob) -> ModelCode:
    """The class source of the job's network (weights are not part of the source)."""
    spec, report = job.preset.model, job.report
    by_id = {n.id: n for n in spec.nodes}
    plan = job.model.plan
    input_id, output_id = job.model.input_id, job.model.output_id
    local = _local_names([input_id] + [nid for nid, _ in plan])
    class_name = class_name_for(job.preset.name)

    ctors: dict[str, Constructor] = {}
    for nid, inputs in plan:
        node = by_id[nid]
        ctors[nid] = CATALOGUE[node.type].constructor([report.shapes[i] for i in inputs], report.params[nid])

    init_lines = []
    body = ["super().__init__()"]
    for nid, inputs in plan:
        call = ctors[nid].code()
        if keyword.iskeyword(nid):
            body.append(f"setattr(self, {nid!r}, {call})")
        else:
            body.append(f"self.{nid} = {call}")
        init = ctors[nid].init_code(_attr(nid))
        if init:
            body.append(init)
            init_lines.append(nid)

    forward = []
    for nid, inputs in plan:
        args = ", ".join(local[i] for i in inputs)
        forward.append(f"{local[nid]} = {_attr(nid)}({args})  # {fmt_shape(report.shapes[nid])}")
    forward.append(f"return {local[output_id]}")

    left_out = [n.id for n in spec.nodes if n.id != input_id and n.id not in dict(plan)]
    summary = doc_safe(_first_sentence(job.preset.description))
    doc = [f'"""{doc_safe(job.preset.name)}' + (f": {summary}" if summary else ""), "",
           f"Input '{input_id}': {fmt_shape(job.input_shape)} per sample; output '{output_id}': "
           f"{fmt_shape(job.output_shape)}.",
           "One attribute per node of the diagram, named by its id; forward follows the graph."]
    if left_out:
        doc.append(f"Not connected to the output, so left out: {', '.join(left_out)}.")
    note = data_facts(job.preset).note
    if note:
        doc.append(doc_safe(note))
    doc.append('"""')

    lines = [f"class {class_name}(nn.Module):"]
    lines += ["    " + ln if ln else "" for ln in _wrap_doc(doc)]
    lines += ["", "    def __init__(self) -> None:"]
    lines += ["        " + ln for ln in body]
    lines += ["", f"    def forward(self, {local[input_id]}: torch.Tensor) -> torch.Tensor:"]
    lines += ["        " + ln for ln in forward]
    class_source = "\n".join(lines) + "\n"

    support = []
    for cls in _used_classes(list(ctors.values())):
        support.append(inspect.getsource(cls))
    if init_lines:
        support.append(inspect.getsource(init_weights))
    return ModelCode(class_name, "\n\n".join(s.rstrip() + "\n" for s in support), class_source,
                     job.input_shape, job.output_shape)


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    end = text.find(". ")
    first = text if end < 0 else text[:end + 1]
    return first if len(first) <= 160 else first[:157] + "..."


def doc_safe(text: str) -> str:
    """Text that can neither end a docstring early, start an escape sequence, nor hold a control
    character a Python file may not (a class name read from a CSV can hold anything)."""
    text = "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)
    return text.replace("\\", "\\\\").replace('"""', "'''")


def _wrap_doc(lines: list[str]) -> list[str]:
    out = []
    for ln in lines:
        out += textwrap.wrap(ln, 92, break_on_hyphens=False) or [""]
    return out


def python_paths(model_py: Path) -> list[Path]:
    """The two files `write_python` writes: the module and its weights beside it as a state_dict
    file (`model.py` → `model_weights.pt`): named apart from the state_dict export's
    `model_state_dict.pt`, so exporting both into one folder asks about neither."""
    return [model_py, model_py.with_name(f"{model_py.stem}_weights.pt")]


def model_py_source(job: ExportJob, weights_file: str = "model_weights.pt", module: str = "model") -> str:
    """The whole model.py: the class, a loader for the exported weights, and a small demo."""
    code = model_code(job)
    c = code.class_name
    desc = textwrap.fill(doc_safe(" ".join(job.preset.description.split())), 92)
    facts = data_facts(job.preset)
    data_text = "\n".join(textwrap.fill(doc_safe(line), 92, subsequent_indent="  ", break_on_hyphens=False)
                          for line in facts.lines())
    sample = ", ".join(str(s) for s in code.input_shape)
    state = "trained" if job.trained else "untrained (initial)"
    header = f'''"""{doc_safe(job.preset.name)}: the network, exported from NN Playground as plain PyTorch.

{desc}

{data_text}

`{c}` is the diagram written out: one attribute per node, named by the node's id, and a forward
pass in the order of the graph. This file needs only torch. The {state} weights are in
{weights_file} beside it:

    from {module} import load_model
    model = load_model()                  # {c} in eval mode with the exported weights
    y = model(torch.randn(4, {sample}))

`{c}()` constructs with no arguments, and `load_state_dict` takes the exported state_dict as
it is (also the safetensors export, read with safetensors.torch.load_file).

{textwrap.fill(expects_note(job).replace("raw_inputs=False", "load_model(raw_inputs=False)"), 92)}
"""'''.replace("\n\n\n", "\n\n")
    parts = [
        header,
        "from __future__ import annotations\n\nfrom pathlib import Path\n\n"
        "import torch\nfrom torch import nn",
        f"INPUT_SHAPE = {tuple(code.input_shape)!r}\nOUTPUT_SHAPE = {tuple(code.output_shape)!r}\n"
        f"WEIGHTS_FILE = Path(__file__).with_name({weights_file!r})",
        names_source(facts),
    ]
    if code.support:
        parts.append(code.support.rstrip())
    parts.append(code.class_source.rstrip())
    if c != "Model":
        parts.append(f"Model = {c}")
    parts.append(standardization_source(job))
    parts.append(f'''def load_weights(path: str | Path = WEIGHTS_FILE) -> dict[str, torch.Tensor]:
    """Exported weights: a .safetensors file (needs the safetensors package) or a .pt state_dict,
    read with weights_only=True so that the file cannot run code."""
    if str(path).endswith(".safetensors"):
        from safetensors.torch import load_file
        return load_file(str(path))
    return torch.load(str(path), map_location="cpu", weights_only=True)


def load_model(path: str | Path = WEIGHTS_FILE, raw_inputs: bool = True) -> nn.Module:
    """{c} with the exported weights, in eval mode (Dropout off, BatchNorm's running statistics),
    taking raw inputs (the data's own units); raw_inputs=False: the bare network."""
    model = {c}()
    model.load_state_dict(load_weights(path))
    model.eval()
    return with_standardization(model).eval() if raw_inputs else model''')
    parts.append('''if __name__ == "__main__":
    import sys

    net = load_model(sys.argv[1] if len(sys.argv) > 1 else WEIGHTS_FILE)
    print(net)
    with torch.no_grad():
        out = net(torch.randn(4, *INPUT_SHAPE))
    print(f"a random batch of 4 inputs {INPUT_SHAPE} gives outputs {tuple(out.shape)}")''')
    return "\n\n\n".join(p.rstrip() for p in parts) + "\n"


def names_source(facts: DataFacts) -> str:
    """CLASSES and INPUT_NAMES: what output index i and input value j are, from the data set."""
    classes = ("# Output index i of a prediction is the class CLASSES[i].\n"
               f"CLASSES = {list(facts.class_names)!r}" if facts.class_names else
               "CLASSES: list[str] = []  # the data set has no classes (a real-valued target)")
    inputs = ("# Input value j of a sample is INPUT_NAMES[j].\n"
              f"INPUT_NAMES = {list(facts.input_names)!r}" if facts.input_names else
              "INPUT_NAMES: list[str] = []  # the data set does not name its input values one by one")
    return f"{classes}\n{inputs}"


def write_python(job: ExportJob, path: Path) -> list[Path]:
    """model.py and, beside it, the weights as a state_dict file that its loader reads."""
    module, weights = python_paths(path)
    source = model_py_source(job, weights.name, path.stem).encode("utf-8")
    buf = io.BytesIO()
    torch.save({k: v.detach().to("cpu").contiguous().clone() for k, v in job.state_dict.items()}, buf)
    return write_together([(module, source), (weights, buf.getvalue())])
