"""NN Playground's engine: everything the app and the command line do, without Qt.

Read it bottom-up; each package's docstring says what it owns and what it may import, and
tests/test_import_direction.py holds every module to it (a package's `commands` module is its
command-line front end and sits with `command_line`, at the top):

    core          files, seeds, worker processes, built-in data locations   (imports nothing here)
    params        declared parameters (with `layers`, the plugin API)
    layers        the layer catalogue and its plugins
    data          data sets, importers of a person's files, chance loss and baselines
    network       the spec, presets, shapes, fit, graph edits, the built torch module, model files
    training      the Trainer, one step, losses, optimizers, events and the probes inside
    export        files that real tools load: ONNX, model.py, train.py, summaries
    labs          small experiments from the notes
    babysit       pre-flight checks, live diagnoses, the learning-rate finder, a run's outcome
    course        the built-in examples, their lessons and what a lesson may claim
    run_records   runs as folders, repeats, twins, verdicts, lesson claims over seeds
    selection     cross-validation, learning and complexity curves, bias and variance, search
    command_line  `playground ...`
"""
