"""The app's words in English and Ukrainian.

Static text (tab names, component labels, fixed Markdown) goes through `gr.I18n`, which the
browser translates by its own language. Text computed by a function at run time (verdicts,
warnings) is not translated by Gradio, so `text(key, lang)` picks it on the server from the
request's Accept-Language header, or from `--lang` when the app was started with one.
"""

from __future__ import annotations

from typing import Any

LANGS = ("en", "uk")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "## ukrsl-dactyl: fingerspelling letters from a photo",
        "tab_recognize": "Recognize",
        "tab_dataset": "Dataset",
        "tab_evaluation": "Evaluation",
        "tab_model": "Model",
        "photo": "Photo of a hand sign",
        "top5": "Top 5 letters",
        "threshold": "Confidence threshold",
        "gradcam": "Show where the network looked (Grad-CAM)",
        "gradcam_image": "Where the network looked",
        "examples": "Example photos",
        "verdict": "Answer",
        "no_model": "No model is loaded.",
        "no_model_help": (
            "Train one with `sign-curate split DATA --out SPLITS` and `sign-ml train --data SPLITS --out RUN`, "
            "then start the app with `python app.py --model RUN` (or a Hub id, `--model USER/NAME`)."
        ),
        "not_sure": "not sure — show the hand closer / use a plainer background",
        "motion_note": "static start only: this letter is signed with movement",
        "demo_model": "demo model: ASL letters; train your own UkrSL model with `sign-curate split` + `sign-ml train`",
        "loaded_model": "Model",
        "unreadable": "This file cannot be used as a photo",
        "no_image": "Upload a photo, use the webcam or paste an image first.",
        "gradcam_failed": "The Grad-CAM overlay could not be computed",
        "data_source": "Data",
        "run_checks": "Run the data checks",
        "class_balance": "Photos per class",
        "imbalance": "Imbalance ratio (largest / smallest class)",
        "split_sizes": "Split sizes",
        "issues_unreadable": "Unreadable or odd files",
        "issues_duplicates": "Duplicates and near-duplicates",
        "issues_leakage": "Leakage across splits",
        "no_data": "No data given. Start the app with `--data SPLITS_OR_FOLDER` to see the class balance and data issues.",
        "checks_needed": "This folder has no curation report yet: press the button to run the checks (once; cached).",
        "confusion": "Confusion matrix (row-normalised: rows = true letter, columns = predicted); click a cell",
        "cell_gallery": "Photos of the chosen cell",
        "per_class": "Per-class precision / recall / F1 (click a header to sort)",
        "most_confused": "Most-confused pairs",
        "curves": "Training curves",
        "no_eval": "No evaluation found for this model. Run `sign-ml evaluate RUN --data SPLITS` to fill this tab.",
        "cell_hint": "Click a cell of the confusion matrix to see its photos.",
        "model_card": "About this model",
        "publish": "Publish",
    },
    "uk": {
        "title": "## ukrsl-dactyl: дактилеми з фотографії",
        "tab_recognize": "Розпізнати",
        "tab_dataset": "Дані",
        "tab_evaluation": "Оцінювання",
        "tab_model": "Модель",
        "photo": "Фото жесту руки",
        "top5": "5 найімовірніших літер",
        "threshold": "Поріг упевненості",
        "gradcam": "Показати, куди дивилася мережа (Grad-CAM)",
        "gradcam_image": "Куди дивилася мережа",
        "examples": "Приклади фотографій",
        "verdict": "Відповідь",
        "no_model": "Модель не завантажено.",
        "no_model_help": (
            "Навчіть її: `sign-curate split DATA --out SPLITS` і `sign-ml train --data SPLITS --out RUN`, "
            "потім запустіть `python app.py --model RUN` (або ідентифікатор з Hub, `--model USER/NAME`)."
        ),
        "not_sure": "не впевнена — покажіть руку ближче / на простішому тлі",
        "motion_note": "лише початкова позиція: ця літера показується з рухом",
        "demo_model": "демо-модель: літери ASL; навчіть власну модель УЖМ за допомогою `sign-curate split` + `sign-ml train`",
        "loaded_model": "Модель",
        "unreadable": "Цей файл не вдається відкрити як фотографію",
        "no_image": "Спершу завантажте фото, увімкніть камеру або вставте зображення.",
        "gradcam_failed": "Не вдалося обчислити накладку Grad-CAM",
        "data_source": "Дані",
        "run_checks": "Запустити перевірку даних",
        "class_balance": "Фотографій на клас",
        "imbalance": "Коефіцієнт дисбалансу (найбільший / найменший клас)",
        "split_sizes": "Розміри вибірок",
        "issues_unreadable": "Непрочитні або незвичні файли",
        "issues_duplicates": "Дублікати та майже-дублікати",
        "issues_leakage": "Витік між вибірками",
        "no_data": "Дані не задано. Запустіть застосунок з `--data SPLITS_OR_FOLDER`, щоб побачити баланс класів і проблеми даних.",
        "checks_needed": "Для цієї теки ще немає звіту: натисніть кнопку, щоб запустити перевірку (один раз; результат збережено).",
        "confusion": "Матриця помилок (нормована за рядками: рядки — справжня літера, стовпці — передбачена); клацніть клітинку",
        "cell_gallery": "Фотографії вибраної клітинки",
        "per_class": "Точність / повнота / F1 для кожного класу (клацніть заголовок, щоб сортувати)",
        "most_confused": "Найчастіше сплутані пари",
        "curves": "Криві навчання",
        "no_eval": "Для цієї моделі немає оцінювання. Запустіть `sign-ml evaluate RUN --data SPLITS`, щоб заповнити вкладку.",
        "cell_hint": "Клацніть клітинку матриці помилок, щоб побачити її фотографії.",
        "model_card": "Про модель",
        "publish": "Публікація",
    },
}


def pick_lang(accept_language: str | None = None, forced: str | None = None) -> str:
    """The language for run-time text: `forced` (--lang) if given, else the browser's first known one."""
    if forced in LANGS:
        return forced
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LANGS:
            return code
    return "en"


def text(key: str, lang: str = "en") -> str:
    """One string in `lang`, falling back to English."""
    return STRINGS.get(lang, STRINGS["en"]).get(key) or STRINGS["en"][key]


def translations(lang: str | None = None) -> dict[str, dict[str, str]]:
    """The tables handed to `gr.I18n`. A forced language serves its table under every locale, so a
    browser set to English still gets Ukrainian with `--lang uk`; without one the browser chooses."""
    if lang is None:
        return {code: dict(table) for code, table in STRINGS.items()}
    if lang not in LANGS:
        raise ValueError(f"unknown UI language {lang!r}; choose one of {', '.join(LANGS)}")
    return {code: dict(STRINGS[lang]) for code in LANGS}


def make_i18n(lang: str | None = None) -> Any:
    """A `gr.I18n` for `launch(i18n=...)`."""
    import gradio as gr  # keeps this module importable by the pure views without Gradio

    return gr.I18n(**translations(lang))
