"""Export (needs torch): a checkpoint -> ``policy.onnx`` + ``policy.pt`` (TorchScript) + ``manifest.json``, and the
check that onnxruntime and TorchScript compute what torch does. The manifest format itself is
:mod:`robot_ac.contract.manifest`.
"""
