""" "Where the network looked": a Grad-CAM overlay on the photo, from the predictor's torch model.

Uses `torchcam` rather than hand-written hooks: it registers and always releases the hooks
(context manager), does the gradient bookkeeping and the colour overlay, needs no OpenCV (mediapipe
brings its own, and two OpenCV packages cannot share one `cv2`), and is a kept, widely used
implementation, so the app carries no private copy of that logic. The target layer is the last convolutional
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


def gradcam_overlay(
    model: torch.nn.Module,
    image: Image.Image,
    prep: Preprocessing,
    class_index: int,
    alpha: float = 0.45,
    display_side: int = 384,
) -> Image.Image:
    """The photo (longer side ≤ display_side, aspect kept) with the Grad-CAM heatmap for `class_index` over it."""
    from torchcam.methods import GradCAM
    from torchcam.utils import overlay_mask

    rgb = image.convert("RGB")
    small = np.array(resize_rgb(rgb, prep.size), dtype=np.uint8)  # (S, S, 3) writable copy: the model's view
    x = normalize(torch.from_numpy(small).permute(2, 0, 1).unsqueeze(0).contiguous(), prep)  # (1, 3, S, S)
    with GradCAM(model, target_layer=target_layer(model)) as cam, torch.enable_grad():
        scores = model(x)
        mask = cam(class_idx=int(class_index), scores=scores)[0][0].detach().cpu().numpy()  # (h, w) in 0..1
    shown = rgb.copy()
    shown.thumbnail((display_side, display_side), Image.Resampling.BILINEAR)
    # the model saw the whole photo squashed to a square: stretching the map back to the photo's shape undoes that
    heat = Image.fromarray(np.clip(mask, 0.0, 1.0).astype(np.float32), mode="F")
    return overlay_mask(shown, heat, colormap="jet", alpha=1.0 - alpha)
