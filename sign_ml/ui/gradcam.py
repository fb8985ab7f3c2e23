""" "Where the network looked": a Grad-CAM overlay on the photo, from the predictor's torch model.

Uses the `grad-cam` package (pytorch_grad_cam) rather than hand-written hooks: it registers and
always releases the forward/backward hooks (context manager), handles the gradient bookkeeping
and the upsampling of the map, and is a kept, widely used implementation that reviewers know,
so the app carries no private copy of that logic. The target layer is the last convolutional
block of MobileNetV3 (`features[-1]`, 960 channels at 1/32 resolution): the last layer that
still has a spatial map, hence the usual Grad-CAM choice.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from sign_ml.presets import Preprocessing, normalize, resize_rgb


def target_layer(model: torch.nn.Module) -> torch.nn.Module:
    """The last convolutional block of torchvision's MobileNetV3 (its `features[-1]`)."""
    features = getattr(model, "features", None)
    if features is None:
        raise ValueError(
            f"{type(model).__name__} has no `features`; Grad-CAM expects torchvision's MobileNetV3"
        )
    return features[-1]


def gradcam_overlay(model: torch.nn.Module, image: Image.Image, prep: Preprocessing, class_index: int,
                    alpha: float = 0.45, display_side: int = 384) -> Image.Image:  # fmt: skip
    """The photo (longer side ≤ display_side, aspect kept) with the Grad-CAM heatmap for `class_index` over it."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.image import show_cam_on_image
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    rgb = image.convert("RGB")
    small = np.array(resize_rgb(rgb, prep.size), dtype=np.uint8)  # (S, S, 3) writable copy: the model's view
    x = normalize(torch.from_numpy(small).permute(2, 0, 1).unsqueeze(0).contiguous(), prep)  # (1, 3, S, S)
    with GradCAM(model=model, target_layers=[target_layer(model)]) as cam:
        mask = cam(input_tensor=x, targets=[ClassifierOutputTarget(int(class_index))])[0]  # (S, S) in 0..1
    shown = rgb.copy()
    shown.thumbnail((display_side, display_side), Image.Resampling.BILINEAR)
    # the model saw the whole photo squashed to a square: stretching the map back to the photo's shape undoes that
    mask = np.asarray(Image.fromarray(mask.astype(np.float32)).resize(shown.size, Image.Resampling.BILINEAR))
    base = np.asarray(shown, dtype=np.float32) / 255.0
    overlay = show_cam_on_image(base, np.clip(mask, 0.0, 1.0), use_rgb=True, image_weight=1.0 - alpha)
    return Image.fromarray(overlay)
