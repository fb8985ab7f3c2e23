"""The app's words in English and Ukrainian.

Static text (tab names, component labels) goes through `gr.I18n`, which the browser translates by its
own language. Text computed at run time (verdicts, summaries, table headers, captions, errors) is picked
on the server by `text(key, lang)` from the request's Accept-Language header, or from `--lang` when the
app was started with one. Every key exists in both languages (a test checks it).
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
        "photo_limit": "A photo up to 10 MB: JPEG of any size; PNG, WebP and others up to 24 megapixels.",
        "top5": "Top 5 letters",
        "threshold": "Confidence threshold",
        "gradcam": "Show where the network looked (Grad-CAM)",
        "gradcam_image": "Where the network looked",
        "gradcam_legend": "Grad-CAM: red = the areas that raised this letter's score most, blue = the least.",
        "hand_image": "Hand found",
        "crop_image": "The hand, cropped",
        "examples": "Examples: test photos, true letter below",
        "verdict": "Answer",
        "no_model": "No model is loaded.",
        "no_model_help": (
            "Train one with `sign-curate split DATA --out SPLITS` and `sign-ml train --data SPLITS --out RUN`, "
            "then start the app with `python app.py --model RUN` (or a Hub id, `--model USER/NAME`)."
        ),
        "not_sure": "not sure — show the hand closer / use a plainer background",
        "no_hand": "no hand found — show one whole hand, closer, against a plain background",
        "motion_note": "static start only: this letter is signed with movement",
        "demo_model": "demo model: ASL letters, not UkrSL; train your own UkrSL model with `sign-curate split` + `sign-ml train`",
        "loaded_model": "Model",
        "test_accuracy": "test accuracy",
        "unreadable": "This file cannot be used as a photo",
        "no_image": "Upload a photo, use the webcam or paste an image first.",
        "too_big": "The photo is larger than 10 MB",
        "reason_not_image": "not an image (corrupt or not a picture)",
        "reason_too_large": "too large to decode safely",
        "reason_not_found": "file not found",
        "reason_cannot_decode": "cannot be decoded (truncated or damaged)",
        "gradcam_failed": "The Grad-CAM overlay could not be computed",
        "run_checks": "Run the data checks",
        "class_balance": "Photos per letter",
        "axis_class": "letter",
        "axis_photos": "photos",
        "imbalance": "Imbalance ratio (largest / smallest class)",
        "imbalance_inf": "∞ (a class has no photos)",
        "split_sizes": "Split sizes",
        "issues_unreadable": "Unreadable or odd files",
        "issues_duplicates": "Duplicates and near-duplicates",
        "issues_leakage": "Leakage across splits",
        "none_found": "none found",
        "dup_gallery": "Duplicate clusters, side by side (judge each at a glance)",
        "mixed": "MIXES LABELS",
        "cluster": "cluster",
        "no_data": (
            "No photos on this machine. Start the app with `python app.py --data FOLDER` (a folder with one "
            "sub-folder per letter, or a split folder from `sign-curate split`) to see the class balance, "
            "unreadable files, duplicates and leakage."
        ),
        "from_model_record": "Below: the class and split sizes the model recorded when it was trained.",
        "data_kind_splits": "Split folder",
        "data_kind_report": "Curation report",
        "data_kind_folder": "Photo folder",
        "data_summary": "{n} photos, {k} classes",
        "checks_needed": "This folder has no curation report yet: press the button to run the checks (once; cached).",
        "checks_failed": "The data checks failed",
        "check_loading": "skipped while loading",
        "check_integrity": "unreadable or odd files",
        "check_duplicates": "duplicates",
        "check_leakage": "leakage across splits",
        "check_balance": "class balance",
        "flagged": "{n} flagged",
        "mixed_clusters": "{n} cluster(s) mix labels — check those labels",
        "col_class": "letter",
        "col_photos": "photos",
        "col_path": "file",
        "col_flag": "finding",
        "col_score": "score",
        "col_detail": "detail",
        "col_cluster": "cluster",
        "col_split": "split",
        "col_check": "check",
        "col_label": "label",
        "col_train": "train",
        "col_validation": "validation",
        "col_test": "test",
        "col_total": "total",
        "col_precision": "precision",
        "col_recall": "recall",
        "col_f1": "F1",
        "col_support": "photos",
        "col_true": "true",
        "col_predicted": "predicted",
        "col_count": "count",
        "col_cluster_size": "cluster size",
        "col_mixed_labels": "mixes labels",
        "col_distance": "distance (bits)",
        "col_kind": "kind",
        "col_unit": "unit",
        "col_other_splits": "other splits",
        "yes": "yes",
        "no": "no",
        "confusion": "Confusion matrix: rows = true letter, columns = predicted; % of the true letter's test photos. Click a cell.",
        "axis_true": "true ↓",
        "axis_predicted": "predicted →",
        "cell_gallery": "Photos of the chosen cell",
        "cell_caption": "**true {true} → predicted {pred}**: {n} photo(s), {share} of {true}'s test photos, {what}",
        "correct": "correct",
        "misclassified": "misclassified",
        "photos_missing": "Photos not on this machine (file names only)",
        "per_class": "Per-class precision / recall / F1 (worst F1 first)",
        "most_confused": "Most-confused pairs: click a row to see its photos",
        "top_losses": "All mistakes, worst first (by loss)",
        "loss_caption": "{name}: true {true} {p_true} → predicted {pred} {p_pred}",
        "no_mistakes": "No mistakes on this split.",
        "no_hand_short": "no hand found",
        "eval_no_hand": "no hand found in {n} photo(s), counted as wrong",
        "curves_loss": "Loss per epoch",
        "curves_accuracy": "Accuracy per epoch",
        "axis_epoch": "epoch",
        "axis_loss": "loss",
        "axis_accuracy": "accuracy",
        "series_train_loss": "training",
        "series_val_loss": "validation",
        "series_train_acc": "training",
        "series_val_acc": "validation",
        "no_eval": "No evaluation found for this model. Run `sign-ml evaluate RUN --data SPLITS` to fill this tab.",
        "cell_hint": "Click a cell of the confusion matrix, or a most-confused pair, to see its photos.",
        "eval_summary": "Split **{split}** · {n} photos · accuracy **{acc}** · macro-F1 **{f1}** · ECE **{ece}**",
        "thumbs_credit": "Photos (test-split thumbnails shipped with the model)",
        "model_for": "What it is for",
        "model_for_text": "Recognizing which of {k} letters ({first} … {last}) a photo of one hand shows.",
        "model_demo_text": "This is the **demo model**: it knows American Sign Language letters, not Ukrainian ones. Your own UkrSL photos go through the same commands.",
        "model_cannot": "What it cannot do",
        "model_cannot_motion": "Letters signed with movement ({letters}): it sees only their static start.",
        "model_cannot_words": "Words or sentences: one letter per photo.",
        "model_cannot_signers": "Work reliably for new signers, hands or backgrounds: it learned from {n} photos{signers}.",
        "one_signer": " of one signer",
        "model_cannot_unsure": "Below the confidence threshold it says \"not sure\" instead of guessing.",
        "model_how": "How it was evaluated",
        "model_how_text": "On {n} test photos that training never saw (`{method}` split {ratios}, seed {seed}): accuracy **{acc}**, macro-F1 **{f1}**.",
        "model_how_none": "No evaluation is stored with this model.",
        "model_details": "Details: architecture, input, training configuration, metrics, publishing",
        "d_arch": "Architecture",
        "d_kind": "Model kind",
        "d_backend": "Served by",
        "d_runtime": "Runtime note",
        "d_classes": "Classes",
        "d_motion": "Motion letters",
        "d_input": "Input",
        "d_input_text": "{size}×{size} px RGB, the whole photo resized (never cropped), mean {mean}, std {std}",
        "d_arch_text": "{arch} (width ×{width}, dropout {dropout})",
        "d_split": "Data and split",
        "d_training": "Training configuration",
        "d_metrics": "Metrics",
        "d_publish": "How to publish it",
        "d_publish_text": "The Hugging Face Hub repository gets the weights (`safetensors`), `config.json` and a model card with these metrics.",
        "api_doc": "API: `/predict` returns a JSON object, letter → probability for every letter, most probable first; an empty object `{}` when no hand is found.",
    },
    "uk": {
        "title": "## ukrsl-dactyl: дактилеми з фотографії",
        "tab_recognize": "Розпізнати",
        "tab_dataset": "Дані",
        "tab_evaluation": "Оцінювання",
        "tab_model": "Модель",
        "photo": "Фото жесту руки",
        "photo_limit": "Фото до 10 МБ: JPEG будь-якого розміру; PNG, WebP та інші — до 24 мегапікселів.",
        "top5": "5 найімовірніших літер",
        "threshold": "Поріг упевненості",
        "gradcam": "Показати, куди дивилася мережа (Grad-CAM)",
        "gradcam_image": "Куди дивилася мережа",
        "gradcam_legend": "Grad-CAM: червоне — ділянки, що найбільше підняли оцінку цієї літери, синє — найменше.",
        "hand_image": "Знайдена рука",
        "crop_image": "Рука крупним планом",
        "examples": "Приклади: тестові фото, справжня літера внизу",
        "verdict": "Відповідь",
        "no_model": "Модель не завантажено.",
        "no_model_help": (
            "Навчіть її: `sign-curate split DATA --out SPLITS` і `sign-ml train --data SPLITS --out RUN`, "
            "потім запустіть `python app.py --model RUN` (або ідентифікатор з Hub, `--model USER/NAME`)."
        ),
        "not_sure": "не впевнена — покажіть руку ближче / на простішому тлі",
        "no_hand": "руку не знайдено — покажіть одну руку повністю, ближче, на простому тлі",
        "motion_note": "лише початкова позиція: ця літера показується з рухом",
        "demo_model": "демо-модель: літери ASL, не УЖМ; навчіть власну модель УЖМ за допомогою `sign-curate split` + `sign-ml train`",
        "loaded_model": "Модель",
        "test_accuracy": "точність на тесті",
        "unreadable": "Цей файл не вдається відкрити як фотографію",
        "no_image": "Спершу завантажте фото, увімкніть камеру або вставте зображення.",
        "too_big": "Фото більше за 10 МБ",
        "reason_not_image": "це не зображення (пошкоджений файл або не фото)",
        "reason_too_large": "завелике, щоб безпечно його розкодувати",
        "reason_not_found": "файл не знайдено",
        "reason_cannot_decode": "не вдається розкодувати (обрізаний або пошкоджений файл)",
        "gradcam_failed": "Не вдалося обчислити накладку Grad-CAM",
        "run_checks": "Запустити перевірку даних",
        "class_balance": "Фотографій на літеру",
        "axis_class": "літера",
        "axis_photos": "фото",
        "imbalance": "Коефіцієнт дисбалансу (найбільший / найменший клас)",
        "imbalance_inf": "∞ (у якогось класу немає фото)",
        "split_sizes": "Розміри вибірок",
        "issues_unreadable": "Непрочитні або незвичні файли",
        "issues_duplicates": "Дублікати та майже-дублікати",
        "issues_leakage": "Витік між вибірками",
        "none_found": "не знайдено",
        "dup_gallery": "Групи дублікатів поруч (оцініть кожну з першого погляду)",
        "mixed": "РІЗНІ МІТКИ",
        "cluster": "група",
        "no_data": (
            "На цьому комп'ютері немає фото. Запустіть застосунок з `python app.py --data ТЕКА` (тека з підтекою "
            "на кожну літеру або тека вибірок від `sign-curate split`), щоб побачити баланс класів, "
            "непрочитні файли, дублікати й витік."
        ),
        "from_model_record": "Нижче — розміри класів і вибірок, які модель записала під час навчання.",
        "data_kind_splits": "Тека вибірок",
        "data_kind_report": "Звіт перевірки",
        "data_kind_folder": "Тека з фото",
        "data_summary": "{n} фото, {k} класів",
        "checks_needed": "Для цієї теки ще немає звіту: натисніть кнопку, щоб запустити перевірку (один раз; результат збережено).",
        "checks_failed": "Перевірка даних не вдалася",
        "check_loading": "пропущено під час читання",
        "check_integrity": "непрочитні або незвичні файли",
        "check_duplicates": "дублікати",
        "check_leakage": "витік між вибірками",
        "check_balance": "баланс класів",
        "flagged": "позначено: {n}",
        "mixed_clusters": "груп із різними мітками: {n} — перевірте ці мітки",
        "col_class": "літера",
        "col_photos": "фото",
        "col_path": "файл",
        "col_flag": "знахідка",
        "col_score": "оцінка",
        "col_detail": "подробиці",
        "col_cluster": "група",
        "col_split": "вибірка",
        "col_check": "перевірка",
        "col_label": "мітка",
        "col_train": "навчальна",
        "col_validation": "валідаційна",
        "col_test": "тестова",
        "col_total": "разом",
        "col_precision": "влучність",
        "col_recall": "повнота",
        "col_f1": "F1",
        "col_support": "фото",
        "col_true": "справжня",
        "col_predicted": "передбачена",
        "col_count": "скільки",
        "col_cluster_size": "розмір групи",
        "col_mixed_labels": "різні мітки",
        "col_distance": "відстань (біт)",
        "col_kind": "вид",
        "col_unit": "одиниця",
        "col_other_splits": "інші вибірки",
        "yes": "так",
        "no": "ні",
        "confusion": "Матриця помилок: рядки — справжня літера, стовпці — передбачена; % тестових фото справжньої літери. Клацніть клітинку.",
        "axis_true": "справжня ↓",
        "axis_predicted": "передбачена →",
        "cell_gallery": "Фотографії вибраної клітинки",
        "cell_caption": "**справжня {true} → передбачена {pred}**: фото: {n}, це {share} тестових фото літери {true}; {what}",
        "correct": "правильно",
        "misclassified": "помилково",
        "photos_missing": "Фото немає на цьому комп'ютері (лише назви файлів)",
        "per_class": "Влучність / повнота / F1 для кожного класу (спершу найгірший F1)",
        "most_confused": "Найчастіше сплутані пари: клацніть рядок, щоб побачити фото",
        "top_losses": "Усі помилки, від найгіршої (за втратою)",
        "loss_caption": "{name}: справжня {true} {p_true} → передбачена {pred} {p_pred}",
        "no_mistakes": "На цій вибірці помилок немає.",
        "no_hand_short": "руку не знайдено",
        "eval_no_hand": "руку не знайдено на {n} фото — це зараховано як помилки",
        "curves_loss": "Втрата за епохами",
        "curves_accuracy": "Точність за епохами",
        "axis_epoch": "епоха",
        "axis_loss": "втрата",
        "axis_accuracy": "точність",
        "series_train_loss": "навчання",
        "series_val_loss": "валідація",
        "series_train_acc": "навчання",
        "series_val_acc": "валідація",
        "no_eval": "Для цієї моделі немає оцінювання. Запустіть `sign-ml evaluate RUN --data SPLITS`, щоб заповнити вкладку.",
        "cell_hint": "Клацніть клітинку матриці помилок або сплутану пару, щоб побачити фото.",
        "eval_summary": "Вибірка **{split}** · фото: {n} · точність **{acc}** · macro-F1 **{f1}** · ECE **{ece}**",
        "thumbs_credit": "Фото (мініатюри тестових фото, що постачаються з моделлю)",
        "model_for": "Для чого вона",
        "model_for_text": "Розпізнає, яку з {k} літер ({first} … {last}) показує одна рука на фото.",
        "model_demo_text": "Це **демо-модель**: вона знає літери американської жестової мови (ASL), а не української. Ваші фото УЖМ проходять ті самі команди.",
        "model_cannot": "Чого вона не вміє",
        "model_cannot_motion": "Літери з рухом ({letters}): вона бачить лише їхню початкову позицію.",
        "model_cannot_words": "Слова й речення: одна літера на фото.",
        "model_cannot_signers": "Надійно працювати з новими людьми, руками чи тлом: вона навчалася на {n} фото{signers}.",
        "one_signer": " однієї людини",
        "model_cannot_unsure": "Нижче порогу впевненості вона каже «не впевнена», а не вгадує.",
        "model_how": "Як її оцінено",
        "model_how_text": "На {n} тестових фото, яких навчання не бачило (поділ `{method}` {ratios}, зерно {seed}): точність **{acc}**, macro-F1 **{f1}**.",
        "model_how_none": "Разом із цією моделлю оцінювання не збережено.",
        "model_details": "Подробиці: архітектура, вхід, налаштування навчання, метрики, публікація",
        "d_arch": "Архітектура",
        "d_kind": "Тип моделі",
        "d_backend": "Виконується через",
        "d_runtime": "Примітка щодо виконання",
        "d_classes": "Класи",
        "d_motion": "Літери з рухом",
        "d_input": "Вхід",
        "d_input_text": "{size}×{size} пікс. RGB, усе фото змінено до цього розміру (без обрізання), середнє {mean}, ст. відхилення {std}",
        "d_arch_text": "{arch} (ширина ×{width}, відсів {dropout})",
        "d_split": "Дані й поділ",
        "d_training": "Налаштування навчання",
        "d_metrics": "Метрики",
        "d_publish": "Як її опублікувати",
        "d_publish_text": "Репозиторій на Hugging Face Hub отримає ваги (`safetensors`), `config.json` і картку моделі з цими метриками.",
        "api_doc": "API: `/predict` повертає JSON-об'єкт: літера → ймовірність для кожної літери, від найімовірнішої; порожній об'єкт `{}`, якщо руку не знайдено.",
    },
}


# The curation checks' finding names (curation/checks/*.py) in Ukrainian; English shows them as they are.
FLAGS_UK: dict[str, str] = {
    "exact-duplicate": "точний дублікат", "near-duplicate": "майже-дублікат", "duplicate-leak": "дублікат в іншій вибірці",
    "group-leak": "група в іншій вибірці", "unreadable": "непрочитний", "truncated": "обрізаний", "huge": "завеликий",
    "missing": "зник", "tiny": "крихітний", "animated": "анімований", "cmyk": "CMYK", "16-bit": "16-бітний",
    "palette": "палітра", "alpha": "прозорість", "exif-rotated": "повернутий EXIF", "not-image": "не зображення",
    "skipped": "пропущено", "hidden": "прихований", "empty-class": "порожній клас", "small-class": "малий клас",
    "missing-letter": "бракує літери", "no-hand": "без руки", "several-hands": "кілька рук",
    "tiny-hand": "замала рука", "hand-cut": "рука обрізана",
}  # fmt: skip

# Gradio's own keys that its Ukrainian table lacks (seen as raw keys in the page, e.g. a finished progress bar)
GRADIO_KEYS: dict[str, dict[str, str]] = {
    "en": {"common.complete": "complete"},
    "uk": {"common.complete": "готово"},
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


def text(key: str, lang: str = "en", **values: Any) -> str:
    """One string in `lang` (falling back to English), with `{name}` fields filled from `values`."""
    template = STRINGS.get(lang, STRINGS["en"]).get(key) or STRINGS["en"][key]
    return template.format(**values) if values else template


def translations(lang: str | None = None) -> dict[str, dict[str, str]]:
    """The tables handed to `gr.I18n`. A forced language serves its table under every locale, so a
    browser set to English still gets Ukrainian with `--lang uk`; without one the browser chooses."""
    if lang is None:
        return {code: {**GRADIO_KEYS[code], **table} for code, table in STRINGS.items()}
    if lang not in LANGS:
        raise ValueError(f"unknown UI language {lang!r}; choose one of {', '.join(LANGS)}")
    return {code: {**GRADIO_KEYS[lang], **STRINGS[lang]} for code in LANGS}


def make_i18n(lang: str | None = None) -> Any:
    """A `gr.I18n` for `launch(i18n=...)`."""
    import gradio as gr  # keeps this module importable by the pure views without Gradio

    return gr.I18n(**translations(lang))
