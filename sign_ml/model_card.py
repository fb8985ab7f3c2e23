"""The model card of a published run, built from the run's own files (pure: no I/O).

`render_model_card(CardInputs(...))` returns the README.md text: YAML metadata the Hub reads
(library, pipeline, licence, tags, datasets, metrics, a model-index whose dataset names the
split protocol) and the sections a user needs to judge the model. Every number comes from
the inputs (config.json, eval/<split>/metrics.json and loso.json, metrics.csv); nothing is typed in by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from huggingface_hub import EvalResult, ModelCardData

from curation.alphabet import describe_class, is_ukrainian, missing_letters, motion_letters, ukrainian_letter
from curation.dataset_card import ordered_splits, protocol, ratios_text, split_method, strip_local_paths

if TYPE_CHECKING:  # a type only: the card never needs torch
    from sign_ml.artifacts import ModelMeta

# The Hub has no library entry for plain torchvision models; "pytorch" is what it shows for
# framework-only repos, and our own package name goes in the tags.
LIBRARY_NAME = "pytorch"
BASE_TAGS = ["ukrsl-dactyl", "sign-language", "fingerspelling", "image-classification", "mediapipe"]
KIND_TAGS = {
    "image": ["mobilenet_v3"],
    "landmarks": ["hand-landmarks"],
    "temporal": ["hand-landmarks", "video"],
}
DEFAULT_LICENSE = "mit"
# runtime settings that do not change what the model learns: left out of the hyperparameter table
_RUNTIME_KEYS = {"device", "num_workers", "cache", "out_dir", "compile", "channels_last", "extra"}
_PRECISION = 4  # decimals for metrics in tables (the YAML carries the exact values)


@dataclass(frozen=True)
class CardInputs:
    """Everything the card says, read from the run by the caller (sign_ml.hub)."""

    repo_id: str  # "USER/NAME" (used in the title, model-index and the how-to-use lines)
    meta: ModelMeta  # config.json: class names, preprocessing, train config, data info
    evaluation: (
        Mapping[str, Any] | None
    )  # eval/<split>/metrics.json, None = not evaluated on a held-out split
    history: Sequence[Mapping[str, Any]] = ()  # metrics.csv rows (per epoch), may be empty
    license: str = DEFAULT_LICENSE
    dataset_id: str | None = None  # Hub dataset id of the training data, if published
    credits: str | None = None  # data authors and licence; overrides the run's data info
    confusion_image: str | None = "confusion_matrix.png"  # path inside the repo, None = not shipped
    curves_image: str | None = "curves.png"
    metrics_path: str = "eval/test/metrics.json"  # where the repo keeps the evaluation file
    extra_tags: tuple[str, ...] = field(default_factory=tuple)
    loso: Mapping[str, Any] | None = None  # eval/<split>/loso.json (sign_ml.loso), None = no such section
    loso_path: str = "eval/test/loso.json"  # where the repo keeps it
    loso_confusion_image: str | None = None  # its confusion matrix inside the repo, None = not shipped
    splits_in_data: tuple[str, ...] = ()  # the splits the training data has ("train", "validation"), if known


@dataclass(frozen=True)
class Headline:
    """The one number the card leads with, where it comes from, and the evaluations that are missing."""

    label: str  # "test accuracy", "leave-one-signer-out accuracy", ...
    value: float | None  # None: no number at all
    source: str  # a sentence: what the number is measured on
    missing: tuple[str, ...]  # sentences: each evaluation the run lacks and why


# ---------------------------------------------------------------- facts derived from the run


def fmt(value: float) -> str:
    """The one number format used in the card's tables."""
    return f"{float(value):.{_PRECISION}f}"


def is_latin_letters(class_names: Sequence[str]) -> bool:
    return bool(class_names) and all(len(c) == 1 and "A" <= c.upper() <= "Z" for c in class_names)


def class_set_kind(class_names: Sequence[str]) -> str:
    """'ukrsl' (Ukrainian letters), 'latin' (A..Z, e.g. the ASL sample) or 'other'."""
    if is_ukrainian(list(class_names)):
        return "ukrsl"
    return "latin" if is_latin_letters(class_names) else "other"


def split_class_counts(data: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """{split: {class: n}} from the data info's counts (either that shape or {class: n})."""
    counts = data.get("counts") or data.get("class_counts") or {}
    if not isinstance(counts, Mapping) or not counts:
        return {}
    if all(isinstance(v, Mapping) for v in counts.values()):
        return {str(s): {str(c): int(n) for c, n in per.items()} for s, per in counts.items()}
    if all(isinstance(v, int | float) for v in counts.values()):
        return {"all": {str(c): int(n) for c, n in counts.items()}}
    return {}


def _loso_ok(inputs: CardInputs) -> bool:
    return bool(inputs.loso) and inputs.loso.get("status") == "ok" and inputs.loso.get("accuracy") is not None


def _best_validation(inputs: CardInputs) -> Mapping[str, Any] | None:
    rows = [r for r in inputs.history if r.get("val_acc") is not None]
    return max(rows, key=lambda r: float(r["val_acc"])) if rows else None


def headline(inputs: CardInputs) -> Headline:
    """Which number leads the card: a test-split evaluation, else leave-one-signer-out, else an evaluation on
    validation, else the best validation accuracy seen during training; and what is missing."""
    ev, split = inputs.evaluation, str((inputs.evaluation or {}).get("split", ""))
    has_test = "test" in inputs.splits_in_data
    missing = []
    if split != "test":
        missing.append(
            "No evaluation on a test split: "
            + (
                "the run was not evaluated on it (`sign-ml evaluate RUN --split test`)."
                if has_test
                else "the training data has no test split (too few signers to hold one out for testing)."
            )
        )
    if not _loso_ok(inputs):
        status = (inputs.loso or {}).get("status")
        missing.append(
            "No leave-one-signer-out result: "
            + (
                "only one signer was recorded."
                if status == "one_signer"
                else "the photos carry no signer information."
                if status
                else "`sign-ml loso` was not run for this model."
            )
        )
    if ev is not None and split == "test":
        return Headline(
            "test accuracy", float(ev["accuracy"]), f"the test split ({int(ev['n'])} photos)", tuple(missing)
        )
    if _loso_ok(inputs):
        signers = len(inputs.loso.get("per_signer") or [])
        return Headline(
            "leave-one-signer-out accuracy",
            float(inputs.loso["accuracy"]),
            f"each of {signers} signers in turn, by a model trained on the others",
            tuple(missing),
        )
    if ev is not None:
        return Headline(
            f"{split} accuracy",
            float(ev["accuracy"]),
            f"the {split} split ({int(ev['n'])} photos; training chose its epoch on it, so it is optimistic)",
            tuple(missing),
        )
    best = _best_validation(inputs)
    if best is not None:
        return Headline(
            "best validation accuracy during training",
            float(best["val_acc"]),
            f"the validation split at epoch {int(best['epoch'])}, the best of {len(inputs.history)}: optimistic",
            tuple(missing),
        )
    return Headline("no accuracy", None, "no held-out photos", tuple(missing))


def eval_results(inputs: CardInputs) -> list[EvalResult]:
    """The model-index entries: accuracy and macro F1 on the evaluated split, protocol in the name;
    leave-one-signer-out accuracy when there is no evaluated split but LOSO ran; none without either."""
    ev, data = inputs.evaluation, inputs.meta.data
    if ev is None:
        if not _loso_ok(inputs):
            return []
        ev = {"split": "leave-one-signer-out", "accuracy": inputs.loso["accuracy"]}
    split = str(ev.get("split", "test"))
    dataset_name = f"{_data_title(inputs)}, {protocol(data)}"
    common = dict(
        task_type="image-classification",
        task_name="Fingerspelling letter classification",
        dataset_type=inputs.dataset_id or "imagefolder",
        dataset_name=dataset_name,
        dataset_split=split,
        dataset_args={
            k: v
            for k, v in (
                ("split_method", split_method(data)),
                ("ratios", ratios_text(data)),
                ("seed", data.get("seed")),
            )
            if v not in (None, "")
        },
    )
    results = [
        EvalResult(
            metric_type="accuracy",
            metric_name=f"{split} accuracy",
            metric_value=float(ev["accuracy"]),
            **common,
        )
    ]
    if ev.get("macro_f1") is not None:
        results.append(
            EvalResult(
                metric_type="f1",
                metric_name=f"{split} macro F1",
                metric_value=float(ev["macro_f1"]),
                metric_args={"average": "macro"},
                **common,
            )
        )
    return results


def card_metadata(inputs: CardInputs) -> ModelCardData:
    """The YAML header as huggingface_hub's ModelCardData."""
    kind = class_set_kind(inputs.meta.class_names)
    tags = (
        list(BASE_TAGS)
        + KIND_TAGS.get(inputs.meta.kind, [])
        + (["ukrainian-sign-language"] if kind == "ukrsl" else [])
        + list(inputs.extra_tags)
    )
    return ModelCardData(
        model_name=inputs.repo_id.split("/")[-1],
        library_name=LIBRARY_NAME,
        pipeline_tag="image-classification",
        license=inputs.license,
        language=["ukl"] if kind == "ukrsl" else None,  # ISO 639-3: Ukrainian Sign Language
        tags=tags,
        datasets=[inputs.dataset_id] if inputs.dataset_id else None,
        metrics=["accuracy", "f1"],
        eval_results=eval_results(inputs) or None,
    )


# ---------------------------------------------------------------- sections


def _data_title(inputs: CardInputs) -> str:
    kind = class_set_kind(inputs.meta.class_names)
    return {"ukrsl": "UkrSL fingerspelling photos", "latin": "Fingerspelling photos (Latin letters)"}.get(
        kind, "Hand-sign photos"
    )


def _title_and_summary(inputs: CardInputs) -> list[str]:
    meta = inputs.meta
    k, kind = len(meta.class_names), class_set_kind(meta.class_names)
    arch = architecture(meta)
    head = headline(inputs)
    if head.value is None:
        number = "- **No accuracy is known**: nothing was held out to measure it on."
    else:
        number = (
            f"- Headline number: {head.label} **{fmt(head.value)}**, measured on {head.source} "
            f"({protocol(meta.data)})."
        )
    ev = inputs.evaluation
    if (
        ev is not None
        and head.label == f"{ev.get('split', 'test')} accuracy"
        and ev.get("macro_f1") is not None
    ):
        number = number.replace(", measured on", f", macro F1 **{fmt(ev['macro_f1'])}**, measured on", 1)
    if head.missing:
        number += "\n" + "\n".join(f"  - {m}" for m in head.missing)
    if kind == "ukrsl":
        title = f"# {inputs.repo_id}: Ukrainian Sign Language fingerspelling (дактилеми) from a photo"
        what = f"Recognizes which of {k} letters of the Ukrainian manual alphabet a single photo of a hand shows."
    elif kind == "latin":
        title = f"# {inputs.repo_id}: ASL fingerspelling demo model ({k} Latin letters)"
        what = (
            f"An **ASL demo model, not a UkrSL model**: its {k} classes are Latin letters, so it cannot read "
            "Ukrainian fingerspelling. It exists to exercise the ukrsl-dactyl pipeline end to end."
        )
    else:
        title = f"# {inputs.repo_id}: hand-sign photo classifier ({k} classes)"
        what = f"Classifies a photo into {k} classes. The classes are not the Ukrainian alphabet: **this is not a UkrSL model**."
    return [
        title,
        "",
        what,
        "",
        f"- Architecture: {arch}.",
        "- Every photo goes through MediaPipe's hand landmarker first; where it finds no hand the answer is "
        '"no hand found", never a letter.',
        number,
        "- Trained and published with the `ukrsl-dactyl` package (`sign-ml train`, `sign-ml push`).",
        "",
    ]


def architecture(meta: ModelMeta) -> str:
    """One line saying what the network reads and what it is."""
    if meta.kind == "temporal":
        spec = meta.landmarks
        sym = ", mirror-symmetric by construction" if spec.get("handedness") == "symmetric" else ""
        return (
            f"a temporal landmark model (`sign_ml.temporal_model`, width {spec.get('width')}): per-frame "
            f"features of MediaPipe's 21 hand landmarks through a 1-D convolution over time, plus the clip's "
            f"wrist and fingertip paths in the hand's own frame; a clip of any length, a photo being a clip "
            f"of one frame{sym}"
        )
    if meta.kind == "landmarks":
        spec = meta.landmarks
        hidden = "-".join(str(h) for h in spec.get("hidden", []))
        sym = (
            ", mirror-symmetric by construction (a left and a right hand making the same shape get the same "
            "answer)"
            if spec.get("handedness") == "symmetric"
            else ""
        )
        return (
            f"a multilayer perceptron (hidden layers {hidden}) on {spec.get('n_features')} features of the 21 "
            f"hand landmarks that MediaPipe's hand landmarker finds (positions, distances and joint bends after "
            f"removing position, size and in-plane turn, plus the turn itself){sym}"
        )
    crop = " of the hand crop" if meta.train_config.get("hand_crop") else ""
    return (
        f"MobileNetV3-Large (torchvision, width ×{meta.width_mult:g}), {meta.preprocessing.size}×"
        f"{meta.preprocessing.size} RGB input{crop}"
    )


def _intended_use(inputs: CardInputs) -> list[str]:
    return [
        "## Intended use",
        "",
        "- Recognizing a **single fingerspelled letter** in a photo of one hand, e.g. for practice apps "
        "and teaching aids, with a human in the loop.",
        "- Not for reading continuous signing, whole signs, or words; not for decisions about people; not a "
        "substitute for an interpreter.",
        "",
    ]


def _alphabet(inputs: CardInputs) -> list[str]:
    names = list(inputs.meta.class_names)
    lines = ["## Alphabet", ""]
    kind = class_set_kind(names)
    if kind != "ukrsl":
        lines += [
            f"{len(names)} classes, in model output order: " + ", ".join(f"`{n}`" for n in names) + ".",
            "",
        ]
        lines += ["These are not Ukrainian letters, so no UkrSL motion-letter information applies.", ""]
        asl_motion = motion_letters(names)
        if asl_motion and inputs.meta.kind == "temporal":
            lines += [
                f"**Motion letters** ({', '.join(asl_motion)}): signed with a movement; this model reads "
                "them from a clip (a video, a `.clip.json`, the Live tab's last 1.5 s). From a photo it sees "
                'only the static start, and such answers are marked "static start only".',
                "",
            ]
        elif asl_motion:
            lines += [
                f"**Motion letters** ({', '.join(asl_motion)}): signed with a movement; a photo shows only the "
                'static start, so predictions of them are marked "static start only" and are not claimed '
                "as recognized.",
                "",
            ]
        return lines
    motion = [n for n in names if ukrainian_letter(n).motion]
    lines += [f"{len(names)} classes, in model output order: " + " ".join(names) + ".", ""]
    if motion:
        lines += [
            "**Motion letters** ("
            + ", ".join(describe_class(n).split(" —")[0] for n in motion)
            + "): these are "
            "signed with a movement; a photo shows only the static start, so the model sees the start handshape "
            "and may confuse them with the static letter they start from.",
            "",
        ]
    missing = missing_letters(names)
    if missing:
        lines += [f"Letters of the alphabet **not covered** by this model: {' '.join(missing)}.", ""]
    return lines


def _training_data(inputs: CardInputs) -> list[str]:
    data, names = inputs.meta.data, list(inputs.meta.class_names)
    lines = ["## Training data", ""]
    if inputs.dataset_id:
        lines += [f"- Dataset: [{inputs.dataset_id}](https://huggingface.co/datasets/{inputs.dataset_id})."]
    if data.get("source"):
        lines += [f"- Source: {data['source']}."]
    lines += [f"- Split: {protocol(data)}."]
    if split_method(data) == "group-aware" and _has_groups(data):
        group = data.get("group_source") or data.get("group_by") or "signer/session group"
        lines += [
            f"  No group ({group}) appears in more than one split, so test photos come from unseen groups."
        ]
    elif split_method(data) == "group-aware":
        lines += [
            "  Near-duplicate photos were kept within one split, but no signer or session groups were given: "
            "the same signers appear in training and test, so test accuracy overstates accuracy on new "
            "signers."
        ]
    elif split_method(data) == "random":
        lines += [
            "  Photos were split at random (stratified by class): the same signers and sessions can appear "
            "in training and test, so test accuracy overstates accuracy on new signers."
        ]
    lines += [_duplicates_line(data), ""]
    counts = split_class_counts(data)
    if counts:
        splits = ordered_splits(counts)
        lines += [
            "Photos per class and split:",
            "",
            "| class | " + " | ".join(splits) + " |",
            "|---|" + "---:|" * len(splits),
        ]
        for name in names:
            lines.append(f"| {name} | " + " | ".join(str(counts[s].get(name, 0)) for s in splits) + " |")
        lines.append("| **total** | " + " | ".join(str(sum(counts[s].values())) for s in splits) + " |")
        lines.append("")
    else:
        lines += ["Class counts were not recorded in the run's data info.", ""]
    return lines


def _has_groups(data: Mapping[str, Any]) -> bool:
    """Whether the split kept signer/session groups apart (not only near-duplicate clusters)."""
    return bool(data.get("group_source") or data.get("group_by"))


def _duplicates_line(data: Mapping[str, Any]) -> str:
    dup = data.get("duplicates")
    threshold = data.get("near_duplicate_threshold", data.get("phash_threshold"))
    if dup is None and data.get("near_duplicate_clusters") is not None:
        dup = {
            "near_duplicate_clusters": data["near_duplicate_clusters"]
        }  # as `sign-curate split` records it
    if dup is None:
        return "- Duplicates: not recorded in the run's data info."
    if isinstance(dup, Mapping):
        found = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in dup.items())
    else:
        found = f"{dup} photos"
    text = f"- Duplicates found during curation: {found}"
    if threshold is not None:
        text += f" (near-duplicate threshold: perceptual-hash distance ≤ {threshold})"
    return text + "."


def _hyperparameters(inputs: CardInputs) -> list[str]:
    cfg = inputs.meta.train_config
    prep = inputs.meta.preprocessing
    lines = ["## Training procedure", ""]
    if cfg:
        lines += ["| hyperparameter | value |", "|---|---|"]
        lines += [f"| {k} | `{v}` |" for k, v in cfg.items() if k not in _RUNTIME_KEYS]
        lines.append("")
    else:
        lines += ["The training configuration was not recorded in config.json.", ""]
    if inputs.meta.kind == "temporal":
        lines += [
            "Input (the same at training time, evaluation and in the app): one hand's 21 landmarks in each "
            "frame of a clip (a photo is one frame), turned into per-frame features by `sign_ml.landmarks` "
            "and a trajectory by `sign_ml.trajectory`. Training augments views of the hand, and the clips' "
            "speed, start phase and path size; photos also train as held-still clips.",
            "",
        ]
    elif inputs.meta.kind == "landmarks":
        lines += [
            "Input (the same at training time, evaluation and in the app): the largest hand's 21 landmarks "
            "from MediaPipe's hand landmarker, turned into features by `sign_ml.landmarks` (feature version "
            f"{inputs.meta.landmarks.get('feature_version')}). Training augments the landmarks (in-plane "
            "turns, tilts towards and away from the camera, stretching and jitter).",
            "",
        ]
    else:
        what = "the hand crop" if cfg.get("hand_crop") else "whole photo"
        lines += [
            f"Preprocessing (the same at training time, evaluation and in the app): {what} resized "
            f"({prep.resize}) to {prep.size}×{prep.size}, scaled to 0..1, normalized with mean {list(prep.mean)} "
            f"and std {list(prep.std)}.",
            "",
        ]
    history = list(inputs.history)
    if history:
        best = max(history, key=lambda r: float(r.get("val_acc", float("-inf"))))
        lines += [
            f"Trained for {len(history)} epochs; best validation accuracy {fmt(best['val_acc'])} "
            f"at epoch {int(best['epoch'])}."
        ]
        if inputs.meta.metrics.get("kept") == "last":
            lines[-1] += (
                f" The weights published are the last epoch's (validation accuracy "
                f"{fmt(history[-1]['val_acc'])}), chosen without looking at the validation split."
            )
        if inputs.curves_image:
            lines += ["", f"![Training curves]({inputs.curves_image})"]
        lines.append("")
    return lines


def _evaluation(inputs: CardInputs) -> list[str]:
    ev = inputs.evaluation
    if ev is None:
        best = _best_validation(inputs)
        seen = (
            f" The best validation accuracy seen during training was {fmt(best['val_acc'])} (epoch "
            f"{int(best['epoch'])}), on the split that chose the epoch, so it is optimistic."
            if best is not None
            else ""
        )
        return ["## Evaluation", "", f"This run was not evaluated on a held-out split.{seen}", ""]
    split = ev.get("split", "test")
    lines = [
        "## Evaluation",
        "",
        f"On the **{split}** split ({int(ev['n'])} photos; {protocol(inputs.meta.data)}); "
        f"the full numbers are in [`{inputs.metrics_path}`]({inputs.metrics_path}).",
        "",
        "| metric | value |",
        "|---|---:|",
        f"| accuracy | {fmt(ev['accuracy'])} |",
        f"| macro F1 | {fmt(ev['macro_f1'])} |",
    ]
    if ev.get("ece") is not None:
        lines.append(f"| expected calibration error | {fmt(ev['ece'])} |")
    if ev.get("no_hand") is not None:
        lines.append(
            f"| photos with no hand found (counted as wrong) | {int(ev['no_hand'])} of {int(ev['n'])} |"
        )
    lines += [
        "",
        "Per class:",
        "",
        "| class | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    ukrsl = class_set_kind(inputs.meta.class_names) == "ukrsl"
    motion = set(motion_letters(list(inputs.meta.class_names)))
    for row in ev.get("per_class", []):
        if row["class"] in motion:  # their own group below
            continue
        # describe_class also reads transliterations ("B" → Б): only for a Ukrainian class set
        label = describe_class(row["class"]) if ukrsl else row["class"]
        lines.append(
            f"| {label} | {fmt(row['precision'])} | {fmt(row['recall'])} | "
            f"{fmt(row['f1'])} | {int(row['support'])} |"
        )
    lines.append("")
    lines += _motion_group(inputs, motion)
    confused = [c for c in ev.get("most_confused", []) if int(c[2]) > 0][:5]
    if confused:
        lines += [
            "Most confused (actual → predicted: count): "
            + "; ".join(f"{a} → {p}: {int(n)}" for a, p, n in confused)
            + ".",
            "",
        ]
    if inputs.confusion_image:
        lines += [f"![Confusion matrix on the {split} split]({inputs.confusion_image})", ""]
    return lines


def _clip_facts(data: Mapping[str, Any], letter: str) -> tuple[str, str]:
    """(clips, signers) cells of one motion letter from the split's `clips` summary (curation.splitting)."""
    if "clips" not in data:
        return "not recorded", "not recorded"
    facts = (data.get("clips") or {}).get(letter)
    if not facts:
        return "0 (photos only)", "–"
    text = str(int(facts["clips"]))
    synthetic = int(facts.get("synthetic") or 0)
    if synthetic:
        text += " (all synthetic)" if synthetic == int(facts["clips"]) else f" ({synthetic} synthetic)"
    signers = facts.get("signers")
    return text, ("unknown (no signer groups)" if signers is None else str(int(signers)))


def _motion_group(inputs: CardInputs, motion: set[str]) -> list[str]:
    """The motion letters as their own group: pooled figures, then each letter with its clips and signers."""
    ev, data = inputs.evaluation or {}, inputs.meta.data
    rows = [r for r in ev.get("per_class", []) if r["class"] in motion]
    if not rows:
        return []
    names = [r["class"] for r in rows]
    lines = [
        f"Motion letters ({', '.join(names)}), their own group: they are signed with a movement, so a still "
        "shows only their start and pooled figures would hide how they do.",
        "",
    ]
    groups = {g["group"]: g for g in ev.get("groups") or []}
    if groups:
        lines += ["| group | letters | accuracy | macro F1 | support |", "|---|---|---:|---:|---:|"]
        for name in ("static", "motion"):
            g = groups.get(name)
            if g is None:
                continue
            acc = "–" if g.get("accuracy") is None else fmt(g["accuracy"])
            f1 = "–" if g.get("macro_f1") is None else fmt(g["macro_f1"])
            lines.append(f"| {name} | {g['classes']} | {acc} | {f1} | {int(g['support'])} |")
        lines.append("")
    lines += [
        "| motion letter | precision | recall | F1 | support | clips in the data | signers of the clips |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ukrsl = class_set_kind(inputs.meta.class_names) == "ukrsl"
    synthetic = False
    for row in rows:
        label = describe_class(row["class"]).split(" —")[0] if ukrsl else row["class"]
        clips, signers = _clip_facts(data, row["class"])
        synthetic = synthetic or "synthetic" in clips
        lines.append(
            f"| {label} | {fmt(row['precision'])} | {fmt(row['recall'])} | {fmt(row['f1'])} | "
            f"{int(row['support'])} | {clips} | {signers} |"
        )
    lines.append("")
    if synthetic:
        lines += [
            "**Synthetic clips.** The clips marked synthetic are not recordings of anyone signing: they are "
            "the landmarks of still photos (I for J, D for Z) moved along the letter's path "
            "(`recipes/demo_motion_clips.py`). Real clips come from the Record tab.",
            "",
        ]
    return lines


def _unseen_signers(inputs: CardInputs) -> list[str]:
    """Leave-one-signer-out accuracy (loso.json), or the plain sentence that it is unknown; nothing without it."""
    loso = inputs.loso
    if not loso:
        return []
    lines = ["## Accuracy on signers it has not seen", ""]
    signers = list(loso.get("per_signer") or [])
    command = strip_local_paths(str(loso.get("command") or "sign-ml loso --data SPLITS --run RUN"))
    if loso.get("status") != "ok":
        if loso.get("status") == "one_signer" and signers:
            n = int(signers[0]["photos"])
            who = (
                f" (`{signers[0]['signer']}`, {n} {'photos and clips' if loso.get('n_clips') else 'photos'})"
            )
        else:
            who = ""
        what = (
            f"Only one signer was recorded{who}"
            if loso.get("status") == "one_signer"
            else "The photos carry no signer information"
        )
        return lines + [
            f"{what}, so **accuracy on new signers is unknown**: every number above comes from "
            "photos of the signer(s) the model was trained on. Record a second signer and run "
            f"`{command}` to measure it.",
            "",
        ]
    total = sum(int(r["photos"]) for r in signers)
    # the per-signer counts are of every held-out sample: clips too, when there were any
    clips = int(loso.get("n_clips") or 0)
    samples = "photos and clips" if clips else "photos"
    model = "temporal model" if loso.get("kind") == "temporal" else "landmark model"
    lines += [
        f"Leave-one-signer-out: for each of the {len(signers)} signers, a {model} with this recipe was "
        f"trained on the other signers' {samples} (all splits pooled) and tested on that signer's; {samples} in "
        f"which no hand was found count as wrong. The full numbers are in [`{inputs.loso_path}`]({inputs.loso_path}).",
        "",
        "| metric | value |",
        "|---|---:|",
        f"| accuracy over all held-out {samples}"
        + (f" ({clips} clips)" if clips else "")
        + f" | {fmt(loso['accuracy'])} |",
        f"| mean of the per-signer accuracies | {fmt(loso['mean_signer_accuracy'])} |",
        f"| {samples} with no hand found (counted as wrong) | {int(loso.get('no_hand', 0))} of {total} |",
        "",
        f"| signer | {'photos + clips' if clips else 'photos'} | hands found | correct | accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in signers:
        signer = str(r["signer"]).replace("|", "\\|")  # a bar would end the cell
        lines.append(
            f"| {signer} | {int(r['photos'])} | {int(r['hands'])} | {int(r['correct'])} | "
            f"{fmt(r['accuracy']) if r.get('accuracy') is not None else '–'} |"
        )
    lines += ["", f"Produced by `{command}`.", ""]
    if inputs.loso_confusion_image:
        lines += [f"![Confusion matrix, leave-one-signer-out]({inputs.loso_confusion_image})", ""]
    return lines


def _limitations(inputs: CardInputs) -> list[str]:
    lines = [
        "## Limitations",
        "",
        "- **Signer independence**: "
        + (
            "test photos come from groups unseen in training, but the number of signers is small; expect lower "
            "accuracy on new people, hands and cameras."
            if split_method(inputs.meta.data) == "group-aware" and _has_groups(inputs.meta.data)
            else "signers were not kept apart between training and test, so the same people may appear in both; "
            "accuracy on new signers is likely lower than reported."
        ),
        "- **Mirrored hands**: " + _mirroring(inputs.meta),
        "- **Lighting and backgrounds**: photos with dim or coloured light, busy backgrounds, or the hand small in "
        "the frame are harder; crop to the hand when possible.",
        (
            "- **Clips, not only photos**: motion letters are read from a clip; a photo shows only their start."
            if inputs.meta.kind == "temporal"
            else "- **One photo, one letter**: motion letters are judged by their starting handshape only."
        ),
        "- **No hand, no letter**: where MediaPipe finds no hand (very dark or blurred photos, hands cut off "
        'by the border) the answer is "no hand found"; such test photos count as wrong above.',
        "",
    ]
    return lines


def _mirroring(meta: ModelMeta) -> str:
    if meta.kind in ("landmarks", "temporal") and meta.landmarks.get("handedness") == "symmetric":
        return (
            "the model is mirror-symmetric by construction, so a left hand and a right hand read the same; for "
            "an alphabet where a mirrored handshape is another letter this would be wrong."
        )
    if meta.kind in ("landmarks", "temporal") and meta.landmarks.get("handedness") == "mirror_left":
        return (
            "hands that MediaPipe calls left are mirrored into right hands first; where it misjudges the hand, "
            "the shape is read mirrored."
        )
    if meta.train_config.get("hflip"):
        return (
            "trained with random horizontal flips, so either hand is accepted; for an alphabet where a mirrored "
            "handshape is another letter this would be wrong."
        )
    return (
        "trained without horizontal flips; a left-handed signer or a mirrored selfie camera shows the other "
        "hand, which can read as a different letter or fail."
    )


def _how_to_use(inputs: CardInputs) -> list[str]:
    return [
        "## How to use",
        "",
        "With the `ukrsl-dactyl` package installed:",
        "",
        "```python",
        "from sign_ml.predict import Predictor",
        f'Predictor.from_pretrained("{inputs.repo_id}").predict("photo.jpg").top  # [(letter, probability), ...]',
        "```",
        "",
        "`config.json` holds the class names (in output order), the model kind and its input; `model.safetensors` "
        + (
            "the weights of the landmark MLP (`sign_ml.landmark_model`)."
            if inputs.meta.kind == "landmarks"
            else "the weights of the temporal landmark model (`sign_ml.temporal_model`)."
            if inputs.meta.kind == "temporal"
            else "the weights of torchvision's `mobilenet_v3_large`."
        ),
        "",
    ]


def _credits(inputs: CardInputs) -> list[str]:
    data = inputs.meta.data
    lines = ["## Credits", ""]
    text = inputs.credits or data.get("credits")
    authors, lic = data.get("authors"), data.get("license") or data.get("data_license")
    if text:
        lines.append(str(text))
    if authors:
        lines.append(
            f"- Data authors: {', '.join(authors) if isinstance(authors, list | tuple) else authors}."
        )
    if lic:
        lines.append(f"- Data licence: {lic}.")
    if not (text or authors or lic):
        lines.append(
            "The training data's authors and licence were not recorded with this run "
            "(pass them with `sign-ml push --credits`)."
        )
    lines += ["", f"The model weights are released under the `{inputs.license}` licence.", ""]
    return lines


def render_model_card(inputs: CardInputs) -> str:
    """README.md text: YAML metadata, then the sections."""
    body: list[str] = []
    for section in (
        _title_and_summary,
        _intended_use,
        _alphabet,
        _training_data,
        _hyperparameters,
        _evaluation,
        _unseen_signers,
        _limitations,
        _how_to_use,
        _credits,
    ):
        body += section(inputs)
    return "---\n" + card_metadata(inputs).to_yaml() + "\n---\n\n" + "\n".join(body).rstrip() + "\n"
