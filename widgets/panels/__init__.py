"""The live plot panels: one module a panel (loss and accuracy, confusion matrix, decision
boundary, histograms, weights, feature maps, ...), each a `base.Panel` that takes in the engine's
events and draws them when the frame scheduler asks; `loss_marks` adds the babysitting marks to
the loss panel. Which panels exist, and where the window docks them, is declared in
`widgets.panel_groups`.

May import: `tasks`, `theme`, `data_reading`.
"""
