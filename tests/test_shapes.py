"""Shape inference and graph checks: every error names the layer and says why."""
from playground.network.shapes import analyze
from playground.network.spec import ModelSpec, Node


def conv_net(kernel: int) -> ModelSpec:
    return ModelSpec([
        Node("x", "Input", {"shape": [1, 8, 8]}),
        Node("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 0}, ["x"]),
        Node("pool", "MaxPool2d", {"kernel_size": 1}, ["conv1"]),
        Node("conv2", "Conv2d", {"out_channels": 4, "kernel_size": kernel, "padding": 0}, ["pool"]),
        Node("flat", "Flatten", {}, ["conv2"]),
    ])


def test_shapes_of_a_valid_cnn():
    r = analyze(conv_net(3))
    assert r.ok, r.errors()
    assert r.shapes == {"x": (1, 8, 8), "conv1": (4, 6, 6), "pool": (4, 6, 6), "conv2": (4, 4, 4), "flat": (64,)}


def test_kernel_larger_than_input_names_layer_and_sizes():
    r = analyze(ModelSpec([Node("x", "Input", {"shape": [1, 4, 4]}),
                           Node("conv2", "Conv2d", {"kernel_size": 5, "padding": 0}, ["x"])]))
    assert r.node_errors["conv2"] == "Conv2d 'conv2': kernel 5 larger than input 4x4"
    assert not r.ok


def test_add_with_different_shapes():
    spec = ModelSpec([
        Node("x", "Input", {"shape": [8, 16, 16]}),
        Node("c", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}, ["x"]),
        Node("res1", "Add", {}, ["x", "c"]),
    ])
    assert analyze(spec).node_errors["res1"] == "Add 'res1': shapes (8, 16, 16) and (16, 16, 16) differ"


def test_cycle_is_a_graph_error():
    spec = ModelSpec([
        Node("x", "Input", {"shape": [4]}),
        Node("a", "Add", {}, ["x", "b"]),
        Node("b", "Linear", {"out_features": 4}, ["a"]),
        Node("out", "Linear", {"out_features": 1}, ["b"]),
    ])
    errors = analyze(spec).graph_errors
    assert any("cycle" in e and "a" in e and "b" in e for e in errors)


def test_dangling_input_and_unconnected_layer():
    spec = ModelSpec([
        Node("x", "Input", {"shape": [4]}),
        Node("fc", "Linear", {"out_features": 4}, ["ghost"]),
        Node("lonely", "ReLU", {}, []),
    ], output="fc")
    r = analyze(spec)
    assert r.node_errors["fc"] == "Linear 'fc': input 'ghost' does not exist"
    assert r.node_errors["lonely"] == "ReLU 'lonely': has no input: connect one"


def test_missing_input_and_ambiguous_output():
    r = analyze(ModelSpec([Node("fc", "Linear", {}, [])]))
    assert "the network has no Input node" in r.graph_errors
    r = analyze(ModelSpec([Node("x", "Input", {"shape": [2]}), Node("a", "ReLU", {}, ["x"]),
                           Node("b", "Tanh", {}, ["x"])]))
    assert any("feed nothing (a, b)" in e for e in r.graph_errors)
    r = analyze(ModelSpec([Node("x", "Input", {"shape": [2]}), Node("a", "ReLU", {}, ["x"])], output="zzz"))
    assert "the output node 'zzz' does not exist" in r.graph_errors


def test_output_not_reaching_input():
    spec = ModelSpec([Node("x", "Input", {"shape": [2]}), Node("a", "ReLU", {}, ["x"]),
                      Node("orphan", "Linear", {}, ["ghost"])], output="orphan")
    r = analyze(spec)
    assert not r.ok


def test_bad_parameter_value_and_arity():
    spec = ModelSpec([Node("x", "Input", {"shape": [2]}), Node("fc", "Linear", {"out_features": 0}, ["x"]),
                      Node("sum", "Add", {}, ["fc"])])
    r = analyze(spec)
    assert r.node_errors["fc"] == "Linear 'fc': out_features must be >= 1"
    assert r.node_errors["sum"] == "Add 'sum': needs at least 2 inputs, has 1"


def test_linear_refuses_images_and_rnn_needs_sequences():
    spec = ModelSpec([Node("x", "Input", {"shape": [1, 8, 8]}), Node("fc", "Linear", {}, ["x"])])
    assert "put a Flatten before Linear" in analyze(spec).node_errors["fc"]
    spec = ModelSpec([Node("x", "Input", {"shape": [8]}), Node("lstm", "LSTM", {}, ["x"])])
    assert "needs a sequence (T, F)" in analyze(spec).node_errors["lstm"]


def test_reshape_must_keep_the_number_of_values():
    spec = ModelSpec([Node("x", "Input", {"shape": [64]}), Node("r", "Reshape", {"shape": [1, 7, 7]}, ["x"])])
    assert "cannot reshape (64,) (64 values) to (1, 7, 7) (49 values)" in analyze(spec).node_errors["r"]


def test_downstream_of_an_error_waits_without_its_own_error():
    spec = conv_net(9)
    r = analyze(spec)
    assert "conv2" in r.node_errors and "flat" not in r.node_errors and "flat" not in r.shapes


def test_reserved_and_bad_ids():
    r = analyze(ModelSpec([Node("x", "Input", {"shape": [2]}), Node("forward", "ReLU", {}, ["x"])]))
    assert "reserved" in r.node_errors["forward"]
    r = analyze(ModelSpec([Node("x", "Input", {"shape": [2]}), Node("1bad", "ReLU", {}, ["x"])]))
    assert "must start with a letter" in r.node_errors["1bad"]
