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
        "tab_live": "Live",
        "live_intro": (
            "Spell with your hand in front of the camera: press **Start the camera** and allow the camera when "
            "the browser asks. Hold a letter still to add it to the word; practice mode asks for letters and "
            "confirms them."
        ),
        "live_camera": "Camera",
        "live_view": "What the model sees",
        "live_hold": "Hold before a letter counts (ms)",
        "live_practice": "Practice mode",
        "live_word": "Word",
        "live_space": "Space",
        "live_backspace": "Backspace",
        "live_clear": "Clear",
        "live_skip": "Skip this letter",
        "live_no_hand": "no letter — show one hand to the camera",
        "live_static_start": "static start only: this letter is signed with movement, the model sees its start",
        "live_holding": "held {p}",
        "live_mode": "Where the hand is found",
        "live_mode_browser": "On this device",
        "live_mode_server": "On the server",
        "live_path_browser": (
            "🔒 **Your camera stays on this device.** This browser finds the hand; only its 21 points (under "
            "1 KB a frame) go to the server, which reads the letter."
        ),
        "live_path_server": (
            "📤 **Frames are sent to the server.** Each camera frame goes to the server, which finds the hand "
            "and reads the letter."
        ),
        "live_path_server_only": "This model reads pictures, not hand points, so it needs the frames.",
        "live_start": "Start the camera",
        "live_stop": "Stop",
        "live_loading": "Loading the hand model into this browser…",
        "live_running": "Finding the hand on this device (WebAssembly, CPU).",
        "live_fallback": "This browser cannot find the hand itself ({reason}); frames now go to the server.",
        "live_no_camera": "No camera: {reason}",
        "live_refused": "Message ignored: {reason}",
        "live_flood": "Too many messages: {n} ignored (at most {rate} a second).",
        "practice_show": "Show",
        "practice_ok": "{letter}: well done!",
        "practice_progress": "This session: {ok} right, {missed} missed",
        "practice_nothing_yet": "No letters practised yet.",
        "practice_letter": "Letter",
        "practice_todo": "Practise these",
        "practice_all_good": "No letter missed more often than got right.",
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
        "motion_note": "the start of {letter}; sign it with the movement to be sure",
        "demo_model": "demo model: ASL letters, not UkrSL; train your own UkrSL model with `sign-curate split` + `sign-ml train`",
        "loaded_model": "Model",
        "test_accuracy": "test accuracy",
        "unreadable": "This file cannot be used as a photo",
        "no_image": "Upload a photo, use the webcam or paste an image first.",
        "too_big": "The photo is larger than 10 MB",
        "not_received": "This photo was not uploaded to the app: send the file itself",
        "owner_only": "Only the app's owner can do this: log in as the owner first.",
        "login_owner": "Recording, training and publishing are for the app's owner: sign in to use them.",
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
        "issues_hands": "Photos whose hand the model cannot read well",
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
        "ws_no_photos": "No photos in this workspace yet: record some in the **Record** tab, then open this tab again.",
        "check_loading": "skipped while loading",
        "check_integrity": "unreadable or odd files",
        "check_duplicates": "duplicates",
        "check_hands": "hands",
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
        "confusion": "Confusion matrix: rows = true letter, columns = predicted; % of the true letter's photos in this split. Click a cell.",
        "axis_true": "true ↓",
        "axis_predicted": "predicted →",
        "cell_gallery": "Photos of the chosen cell",
        "cell_empty": "**true {true} → predicted {pred}**: no test photo of {true} was read as {pred}.",
        "cell_caption": "**true {true} → predicted {pred}**: {n} photo(s), {share} of {true}'s test photos, {what}",
        "correct": "correct",
        "misclassified": "misclassified",
        "photos_missing": "Photos not on this machine (file names only)",
        "per_class": "Per-class precision / recall / F1 (worst F1 first)",
        "col_group": "group",
        "group_static": "static",
        "group_motion": "motion",
        "groups_line": "**Static letters**: accuracy {static_acc} on {static_n} · **motion letters** ({letters}): accuracy {motion_acc} on {motion_n}; a still shows only a motion letter's start.",
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
        "model_cannot_unsure": 'Below the confidence threshold it says "not sure" instead of guessing.',
        "model_how": "How it was evaluated",
        "model_how_text": "On {n} {split} photos that training never saw (`{method}` split {ratios}, seed {seed}): accuracy **{acc}**, macro-F1 **{f1}**.",
        "how_split_test": "test",
        "how_split_validation": "validation",
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
        "d_input_landmarks": "the 21 hand landmarks MediaPipe finds in the photo, as {n} features (no pixels)",
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
        "tab_live": "Наживо",
        "live_intro": (
            "Показуйте літери рукою перед камерою: натисніть **Увімкнути камеру** й дозвольте доступ до камери, "
            "коли браузер спитає. Затримайте літеру, щоб додати її до слова; режим вправ просить показати "
            "літеру й підтверджує її."
        ),
        "live_camera": "Камера",
        "live_view": "Що бачить модель",
        "live_hold": "Затримка, після якої літера зараховується (мс)",
        "live_practice": "Режим вправ",
        "live_word": "Слово",
        "live_space": "Пробіл",
        "live_backspace": "Стерти літеру",
        "live_clear": "Очистити",
        "live_skip": "Пропустити літеру",
        "live_no_hand": "літери немає — покажіть камері одну руку",
        "live_static_start": "лише початкова позиція: ця літера показується з рухом, модель бачить її початок",
        "live_holding": "утримано {p}",
        "live_mode": "Де шукати руку",
        "live_mode_browser": "На цьому пристрої",
        "live_mode_server": "На сервері",
        "live_path_browser": (
            "🔒 **Камера лишається на цьому пристрої.** Руку знаходить цей браузер; на сервер ідуть лише її "
            "21 точка (менше 1 КБ на кадр), а сервер читає літеру."
        ),
        "live_path_server": (
            "📤 **Кадри надсилаються на сервер.** Кожен кадр камери йде на сервер, який знаходить руку й "
            "читає літеру."
        ),
        "live_path_server_only": "Ця модель читає зображення, а не точки руки, тож їй потрібні кадри.",
        "live_start": "Увімкнути камеру",
        "live_stop": "Зупинити",
        "live_loading": "Завантажуємо модель руки в цей браузер…",
        "live_running": "Руку знаходить цей пристрій (WebAssembly, процесор).",
        "live_fallback": "Цей браузер не може сам знайти руку ({reason}); тепер кадри йдуть на сервер.",
        "live_no_camera": "Немає камери: {reason}",
        "live_refused": "Повідомлення відкинуто: {reason}",
        "live_flood": "Забагато повідомлень: відкинуто {n} (не більше {rate} на секунду).",
        "practice_show": "Покажіть",
        "practice_ok": "{letter}: чудово!",
        "practice_progress": "За цей сеанс: правильно {ok}, пропущено {missed}",
        "practice_nothing_yet": "Ще жодної літери не вправлялися.",
        "practice_letter": "Літера",
        "practice_todo": "Повправляйтеся з цими",
        "practice_all_good": "Жодну літеру не пропущено частіше, ніж показано правильно.",
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
        "motion_note": "це початок {letter}; покажіть її з рухом, щоб знати напевно",
        "demo_model": "демо-модель: літери ASL, не УЖМ; навчіть власну модель УЖМ за допомогою `sign-curate split` + `sign-ml train`",
        "loaded_model": "Модель",
        "test_accuracy": "точність на тесті",
        "unreadable": "Цей файл не вдається відкрити як фотографію",
        "no_image": "Спершу завантажте фото, увімкніть камеру або вставте зображення.",
        "too_big": "Фото більше за 10 МБ",
        "not_received": "Це фото не було завантажене в застосунок: надішліть сам файл",
        "owner_only": "Це може робити лише власник застосунку: спершу увійдіть як власник.",
        "login_owner": "Запис, навчання й публікація доступні лише власнику застосунку: увійдіть, щоб ними скористатися.",
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
        "issues_hands": "Фото, де руку важко прочитати",
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
        "ws_no_photos": "У цій робочій теці ще немає фото: запишіть їх на вкладці **Запис** і відкрийте цю вкладку знову.",
        "check_loading": "пропущено під час читання",
        "check_integrity": "непрочитні або незвичні файли",
        "check_duplicates": "дублікати",
        "check_hands": "руки",
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
        "confusion": "Матриця помилок: рядки — справжня літера, стовпці — передбачена; % фото справжньої літери в цій вибірці. Клацніть клітинку.",
        "axis_true": "справжня ↓",
        "axis_predicted": "передбачена →",
        "cell_gallery": "Фотографії вибраної клітинки",
        "cell_empty": "**справжня {true} → передбачена {pred}**: жодне тестове фото літери {true} не прочитано як {pred}.",
        "cell_caption": "**справжня {true} → передбачена {pred}**: фото: {n}, це {share} тестових фото літери {true}; {what}",
        "correct": "правильно",
        "misclassified": "помилково",
        "photos_missing": "Фото немає на цьому комп'ютері (лише назви файлів)",
        "per_class": "Влучність / повнота / F1 для кожного класу (спершу найгірший F1)",
        "col_group": "група",
        "group_static": "статична",
        "group_motion": "з рухом",
        "groups_line": "**Статичні літери**: точність {static_acc} на {static_n} · **літери з рухом** ({letters}): точність {motion_acc} на {motion_n}; знімок показує лише початок літери з рухом.",
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
        "model_how_text": "На {n} {split} фото, яких навчання не бачило (поділ `{method}` {ratios}, зерно {seed}): точність **{acc}**, macro-F1 **{f1}**.",
        "how_split_test": "тестових",
        "how_split_validation": "валідаційних",
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
        "d_input_landmarks": "21 точка руки, яку MediaPipe знаходить на фото, як {n} ознак (без пікселів)",
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
    "exact-duplicate": "точний дублікат",
    "near-duplicate": "майже-дублікат",
    "duplicate-leak": "дублікат в іншій вибірці",
    "group-leak": "група в іншій вибірці",
    "unreadable": "непрочитний",
    "truncated": "обрізаний",
    "huge": "завеликий",
    "missing": "зник",
    "tiny": "крихітний",
    "animated": "анімований",
    "cmyk": "CMYK",
    "16-bit": "16-бітний",
    "palette": "палітра",
    "alpha": "прозорість",
    "exif-rotated": "повернутий EXIF",
    "not-image": "не зображення",
    "skipped": "пропущено",
    "hidden": "прихований",
    "empty-class": "порожній клас",
    "small-class": "малий клас",
    "missing-letter": "бракує літери",
    "no-hand": "без руки",
    "several-hands": "кілька рук",
    "tiny-hand": "замала рука",
    "hand-cut": "рука обрізана",
}

# The Record tab, mislabel review and leave-one-signer-out result (issue 11), kept together
RECORD_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "tab_record": "Record",
        "rec_intro": (
            "Record a fingerspelling dataset: choose the alphabet, enter the signer's id, press Start and "
            "sign each letter when the countdown ends. Only frames with exactly one hand are kept. Then "
            "train, see how the model does on signers it has not seen, and publish."
        ),
        "rec_setup": "1. Set up",
        "rec_alphabet": "Alphabet",
        "alphabet_ukrainian": "Ukrainian (33 letters)",
        "alphabet_asl": "ASL (26 letters)",
        "alphabet_custom": "Custom list",
        "rec_custom": "Letters (separated by spaces or commas); press Enter",
        "rec_letters": "{n} letters",
        "rec_motion_note": "signed with movement: recorded as a clip of its movement",
        "rec_signer": "Signer id (letters, digits, -)",
        "rec_only": "Only these letters (empty: all)",
        "rec_countdown": "Countdown before each letter (s)",
        "rec_burst": "Photos per letter",
        "rec_start": "Start a session",
        "rec_skip": "Skip letter",
        "rec_redo": "Redo letter",
        "rec_stop": "Stop",
        "rec_grid": "Photos and clips per letter and signer",
        "rec_total": "total",
        "rec_idle": "Enter a signer id and press **Start a session**: the camera turns on (allow it when the browser asks) and records each letter.",
        "rec_next": "The camera is off. **Start a session** turns it on for the next one.",
        "rec_progress": "letter {i} of {n} · signer {signer}, session {session}",
        "rec_get_ready": "Get ready: {s} s",
        "rec_capturing": "Hold the sign: {k} of {n} photos",
        "rec_saved": "saved {path}",
        "rec_no_hand": "no hand found in this frame: not kept",
        "rec_two_hands": "more than one hand in this frame: not kept",
        "rec_done": "Session finished: {what} saved",
        "rec_n_photos_one": "{n} photo",
        "rec_n_photos_few": "{n} photos",  # English has no "few" form (count_text never picks it): tables match
        "rec_n_photos_many": "{n} photos",
        "rec_n_clips_one": "{n} clip",
        "rec_n_clips_few": "{n} clips",
        "rec_n_clips_many": "{n} clips",
        "rec_and": "{a} and {b}",
        "rec_short": "Fewer photos than asked for: {letters} (record them again with “Only these letters”)",
        "rec_stopped": "Stopped; this session saved {what}.",
        "rec_train_head": "### 2. Curate and train",
        "rec_check": "Check the photos",
        "note_near_duplicates": (
            "These photos of {who} are near-duplicates (they look alike pixel for pixel), so these signers "
            "count as one and stay in one split: {pairs}. Record each signer with their own camera and hands "
            "to hold one out."
        ),
        "note_nothing_held_out": "Nothing is held out ({splits}): {why}, so the model can only be judged on photos it trained on.",
        "note_missing_splits": "No {splits} split: {why}.",
        "note_why_groups": "there are only {n} signers and a signer is never split",
        "note_why_joined": "near-duplicates join the signers into one",
        "note_why_few": "there are too few photos",
        "note_train_only": "Only in train, not held out: {letters} ({why}).",
        "note_only_group": "each of them comes from one signer",
        "note_only_few": "too few photos",
        "rec_checked": "Checked {n} photos.",
        "rec_check_failed": "The check stopped; what it printed is under “What the commands printed”.",
        "rec_flagged": "Flagged photos",
        "rec_train": "Train the landmark model",
        "rec_log": "What the commands printed",
        "rec_no_output": "(no output)",
        "rec_nothing": "No photos recorded yet.",
        "train_failed": "Training did not finish: see what the commands printed below.",
        "train_done": "Trained in {s} s ({run}).",
        "train_serving": "The app now serves this model: try it on the Recognize and Live tabs; its evaluation is on the Evaluation tab.",
        "loso_head": "### Accuracy on signers the model has not seen",
        "loso_table": "Leave-one-signer-out, per signer",
        "loso_confusion": "Leave-one-signer-out confusion matrix",
        "loso_none": "No leave-one-signer-out result for this model.",
        "loso_unknown": "Only one signer recorded: accuracy on new signers is unknown. Record a second signer to measure it.",
        "loso_result": "{acc} on signers it has not seen (leave-one-signer-out over {n} signers; mean per signer {mean})",
        "loso_col_signer": "signer",
        "loso_col_photos": "photos",
        "loso_col_samples": "photos + clips",
        "loso_col_hands": "with a hand",
        "loso_col_correct": "correct",
        "loso_col_accuracy": "accuracy",
        "job_head": "### MobileNetV3 in the background (optional, for large multi-signer data)",
        "job_start": "Start",
        "job_epochs": "Epochs",
        "job_cancel": "Cancel",
        "job_resume": "Resume",
        "job_none": "No background training.",
        "job_running": "Training: epoch {e} of {n}",
        "job_finished": "Finished: {e} of {n} epochs",
        "job_failed": "Failed after {e} of {n} epochs",
        "job_cancelled": "Cancelled after {e} of {n} epochs (resume continues from the last checkpoint)",
        "job_absent": "No background training.",
        "pub_head": "### 3. Publish to the Hugging Face Hub",
        "pub_dataset": "Dataset repo (user/name)",
        "pub_model": "Model repo (user/name)",
        "pub_license": "Licence of the photos",
        "pub_private": "Private repos",
        "pub_preview": "Preview (dry run)",
        "pub_publish": "Publish",
        "pub_files": "Files that would be uploaded",
        "pub_kind_dataset": "Dataset",
        "pub_kind_model": "Model",
        "pub_dry_head": "**Dry run: nothing was uploaded.** Publishing would upload:",
        "pub_dry_repo": "{kind} `{repo}`: {n} files, {mb} MB (folder `{folder}`)",
        "pub_dry_info": "The Hub adds the dataset's `dataset_info` to its README.md when the data arrives.",
        "pub_col_repo": "repo",
        "pub_col_path": "path",
        "pub_col_bytes": "bytes",
        "pub_token_env": "Hub token: from the HF_TOKEN environment variable (never shown).",
        "pub_token_login": "Hub token: from `hf auth login` (never shown).",
        "pub_token_none": "No Hub token: set HF_TOKEN or run `hf auth login` before publishing. The preview works without one.",
        "pub_no_token": "No Hub token: run `hf auth login`, or set HF_TOKEN and restart the app.",
        "ml_head": "### Possibly mislabelled photos",
        "ml_find": "Find mislabel candidates",
        "ml_nothing_yet": "Nothing to review until photos are recorded.",
        "ml_gallery": "Most suspicious first: given letter → the letter a model that never saw the photo suggests",
        "ml_summary": "{n} suspected of {checked} photos checked ({folds}-fold out-of-sample, cleanlab; {s} s; {no_hand} without a hand not checked).",
        "ml_how_workspace": "Click a photo to relabel or exclude it: the decision is written to label_decisions.csv beside the photos (the photos are not touched) and applied by the next Train.",
        "ml_how_cli": "Read-only here. From a terminal: `sign-curate issues {data}`; decisions go to label_decisions.csv beside the photos.",
        "ml_no_data": "No photo folder or split directory is loaded.",
        "ml_relabel_as": "Relabel as",
        "ml_relabel": "Relabel",
        "ml_exclude": "Exclude",
        "ml_keep": "Keep as is",
        "ml_picked": "`{path}`: given {given}, suggested {suggested}",
        "ml_pick_first": "Click a photo first.",
        "ml_decided": "decided",
        "ml_read_only": "This app was started without a workspace: it writes no decisions.",
        "ml_done_relabel": "`{path}` will be relabelled as {label} ({file}).",
        "ml_done_exclude": "`{path}` will be left out ({file}).",
        "ml_done_keep": "`{path}`: earlier decision removed ({file}).",
    },
    "uk": {
        "tab_record": "Запис",
        "rec_intro": (
            "Запишіть набір дактилем: виберіть абетку, введіть ідентифікатор того, хто показує, натисніть "
            "«Почати» і показуйте кожну літеру, коли скінчиться відлік. Зберігаються лише кадри рівно з "
            "однією рукою. Потім навчіть модель, подивіться, як вона працює на людях, яких не бачила, і опублікуйте."
        ),
        "rec_setup": "1. Налаштування",
        "rec_alphabet": "Абетка",
        "alphabet_ukrainian": "Українська (33 літери)",
        "alphabet_asl": "ASL (26 літер)",
        "alphabet_custom": "Власний список",
        "rec_custom": "Літери (через пробіл або кому); натисніть Enter",
        "rec_letters": "{n} літер",
        "rec_motion_note": "показується з рухом: записується кліпом руху",
        "rec_signer": "Ідентифікатор того, хто показує (літери, цифри, -)",
        "rec_only": "Лише ці літери (порожньо: усі)",
        "rec_countdown": "Відлік перед кожною літерою (с)",
        "rec_burst": "Фото на літеру",
        "rec_start": "Почати сеанс",
        "rec_skip": "Пропустити літеру",
        "rec_redo": "Повторити літеру",
        "rec_stop": "Зупинити",
        "rec_grid": "Фото й кліпи за літерами й людьми",
        "rec_total": "усього",
        "rec_idle": "Введіть ідентифікатор і натисніть **Почати сеанс**: камера ввімкнеться (дозвольте її, коли браузер спитає) і запише кожну літеру.",
        "rec_next": "Камеру вимкнено. **Почати сеанс** увімкне її для наступного.",
        "rec_progress": "літера {i} з {n} · {signer}, сеанс {session}",
        "rec_get_ready": "Приготуйтеся: {s} с",
        "rec_capturing": "Тримайте жест: {k} з {n} фото",
        "rec_saved": "збережено {path}",
        "rec_no_hand": "у кадрі немає руки: не збережено",
        "rec_two_hands": "у кадрі більше однієї руки: не збережено",
        "rec_done": "Сеанс завершено: збережено {what}",
        "rec_n_photos_one": "{n} фото",
        "rec_n_photos_few": "{n} фото",
        "rec_n_photos_many": "{n} фото",
        "rec_n_clips_one": "{n} кліп",
        "rec_n_clips_few": "{n} кліпи",
        "rec_n_clips_many": "{n} кліпів",
        "rec_and": "{a} і {b}",
        "rec_short": "Менше фото, ніж треба: {letters} (запишіть їх ще раз через «Лише ці літери»)",
        "rec_stopped": "Зупинено; у цьому сеансі збережено {what}.",
        "rec_train_head": "### 2. Перевірка й навчання",
        "rec_check": "Перевірити фото",
        "note_near_duplicates": (
            "Ці фото {who} майже однакові (збігаються піксель у піксель), тож ці жестувальники рахуються як "
            "один і лишаються в одній частині: {pairs}. Щоб одного відкласти для перевірки, записуйте кожного "
            "його власною камерою й руками."
        ),
        "note_nothing_held_out": "Нічого не відкладено для перевірки ({splits}): {why}, тож модель можна оцінити лише на фото, на яких вона вчилась.",
        "note_missing_splits": "Немає частини «{splits}»: {why}.",
        "note_why_groups": "жестувальників лише {n}, а одного жестувальника ніколи не ділять",
        "note_why_joined": "майже однакові фото об’єднують жестувальників в одного",
        "note_why_few": "замало фото",
        "note_train_only": "Лише в навчальній частині, не відкладено: {letters} ({why}).",
        "note_only_group": "кожну показав лише один жестувальник",
        "note_only_few": "замало фото",
        "rec_checked": "Перевірено фото: {n}.",
        "rec_check_failed": "Перевірка зупинилась; що вона вивела — у розділі «Що вивели команди».",
        "rec_flagged": "Позначені фото",
        "rec_train": "Навчити модель за точками руки",
        "rec_log": "Що вивели команди",
        "rec_no_output": "(нічого)",
        "rec_nothing": "Ще нічого не записано.",
        "train_failed": "Навчання не завершилося: дивіться нижче, що вивели команди.",
        "train_done": "Навчено за {s} с ({run}).",
        "train_serving": "Застосунок тепер використовує цю модель: спробуйте її на вкладках «Розпізнати» й «Наживо»; її оцінка — на вкладці «Оцінювання».",
        "loso_head": "### Точність на людях, яких модель не бачила",
        "loso_table": "Без однієї людини (leave-one-signer-out), за людьми",
        "loso_confusion": "Матриця помилок без однієї людини",
        "loso_none": "Для цієї моделі немає оцінки без однієї людини.",
        "loso_unknown": "Записано лише одну людину: точність на нових людях невідома. Запишіть ще одну, щоб її виміряти.",
        "loso_result": "{acc} на людях, яких модель не бачила (без однієї людини, {n} людей; середнє за людьми {mean})",
        "loso_col_signer": "людина",
        "loso_col_photos": "фото",
        "loso_col_samples": "фото + кліпи",
        "loso_col_hands": "з рукою",
        "loso_col_correct": "правильно",
        "loso_col_accuracy": "точність",
        "job_head": "### MobileNetV3 у фоні (необов'язково, для великих даних від багатьох людей)",
        "job_start": "Почати",
        "job_epochs": "Епохи",
        "job_cancel": "Скасувати",
        "job_resume": "Продовжити",
        "job_none": "Фонового навчання немає.",
        "job_running": "Навчання: епоха {e} з {n}",
        "job_finished": "Завершено: {e} з {n} епох",
        "job_failed": "Збій після {e} з {n} епох",
        "job_cancelled": "Скасовано після {e} з {n} епох (продовження — з останньої контрольної точки)",
        "job_absent": "Фонового навчання немає.",
        "pub_head": "### 3. Публікація на Hugging Face Hub",
        "pub_dataset": "Репозиторій даних (користувач/назва)",
        "pub_model": "Репозиторій моделі (користувач/назва)",
        "pub_license": "Ліцензія фото",
        "pub_private": "Приватні репозиторії",
        "pub_preview": "Попередній перегляд (без вивантаження)",
        "pub_publish": "Опублікувати",
        "pub_files": "Файли, які буде вивантажено",
        "pub_kind_dataset": "Дані",
        "pub_kind_model": "Модель",
        "pub_dry_head": "**Пробний запуск: нічого не вивантажено.** Публікація вивантажить:",
        "pub_dry_repo": "{kind} `{repo}`: файлів: {n}, {mb} МБ (тека `{folder}`)",
        "pub_dry_info": "Hub допише `dataset_info` набору до його README.md, коли дані надійдуть.",
        "pub_col_repo": "репозиторій",
        "pub_col_path": "шлях",
        "pub_col_bytes": "байтів",
        "pub_token_env": "Токен Hub: зі змінної середовища HF_TOKEN (ніколи не показується).",
        "pub_token_login": "Токен Hub: з `hf auth login` (ніколи не показується).",
        "pub_token_none": "Немає токена Hub: задайте HF_TOKEN або виконайте `hf auth login` перед публікацією. Попередній перегляд працює й без нього.",
        "pub_no_token": "Немає токена Hub: виконайте `hf auth login` або задайте HF_TOKEN і перезапустіть застосунок.",
        "ml_head": "### Фото з імовірно хибною літерою",
        "ml_find": "Знайти підозрілі мітки",
        "ml_nothing_yet": "Нічого перевіряти, доки не записано фото.",
        "ml_gallery": "Найпідозріліші спершу: дана літера → літера, яку пропонує модель, що не бачила цього фото",
        "ml_summary": "Підозрілих: {n} з {checked} перевірених фото ({folds}-кратна перевірка поза вибіркою, cleanlab; {s} с; {no_hand} без руки не перевірено).",
        "ml_how_workspace": "Клацніть фото, щоб змінити літеру або виключити його: рішення записується в label_decisions.csv поруч із фото (самі фото не змінюються) і застосовується під час наступного навчання.",
        "ml_how_cli": "Тут лише перегляд. У терміналі: `sign-curate issues {data}`; рішення записуються в label_decisions.csv поруч із фото.",
        "ml_no_data": "Не завантажено ні теки з фото, ні поділу.",
        "ml_relabel_as": "Змінити на",
        "ml_relabel": "Змінити літеру",
        "ml_exclude": "Виключити",
        "ml_keep": "Залишити як є",
        "ml_picked": "`{path}`: дано {given}, пропонується {suggested}",
        "ml_pick_first": "Спершу клацніть фото.",
        "ml_decided": "рішення",
        "ml_read_only": "Застосунок запущено без робочої теки: рішення не записуються.",
        "ml_done_relabel": "`{path}` буде перепозначено як {label} ({file}).",
        "ml_done_exclude": "`{path}` буде виключено ({file}).",
        "ml_done_keep": "`{path}`: попереднє рішення скасовано ({file}).",
    },
}
for _lang, _table in RECORD_STRINGS.items():
    STRINGS[_lang].update(_table)

# Gradio's own keys that its Ukrainian table lacks (seen as raw keys in the page, e.g. a finished progress bar)
GRADIO_KEYS: dict[str, dict[str, str]] = {
    "en": {"common.complete": "complete", "common.loading": "Loading", "common.error": "Error"},
    "uk": {"common.complete": "готово", "common.loading": "Завантаження", "common.error": "Помилка"},
}
# Text Gradio's page writes without its i18n (the status tracker's queue line, the webcam's button):
# (regular expression over one text node, replacement) per language, applied in the browser as it appears
PAGE_TEXT: dict[str, list[tuple[str, str]]] = {
    "uk": [
        (r"^queue: (\d+)/(\d*) \|$", "черга: $1/$2 |"),
        (r"^processing \|$", "обробка |"),
        (r"^\s*Click to Access Webcam\s*$", " Натисніть, щоб увімкнути камеру"),
    ],
}


def page_text_script(lang: str | None = None) -> str:
    """A <script> for the page's head that puts Gradio's untranslated text into the page's language: the
    forced one, else the browser's (as gr.I18n chooses). The queue line is rewritten as it is drawn, so a
    loaded server shows "черга: 1/3 |", never "queue: 1/3 |"."""
    import json

    rules = json.dumps(PAGE_TEXT, ensure_ascii=False)
    forced = json.dumps(lang)
    return (
        "<script>(() => {"
        f"const rules = {rules}; const forced = {forced};"
        "const lang = forced || ((navigator.language || 'en').toLowerCase().split('-')[0]);"
        "const mine = (rules[lang] || []).map(([re, to]) => [new RegExp(re), to]);"
        "if (!mine.length) return;"
        "const fix = (node) => { const v = node.nodeValue; if (!v) return;"
        "  for (const [re, to] of mine) { if (re.test(v)) { node.nodeValue = v.replace(re, to); return; } } };"
        "const walk = (root) => { if (root.nodeType === 3) { fix(root); return; }"
        "  const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT); let n;"
        "  while ((n = it.nextNode())) fix(n); };"
        "const start = () => { walk(document.body);"
        "  new MutationObserver((ms) => { for (const m of ms) {"
        "    if (m.type === 'characterData') fix(m.target); else m.addedNodes.forEach(walk); } })"
        "  .observe(document.body, {childList: true, subtree: true, characterData: true}); };"
        "if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);"
        "})();</script>"
    )


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


DECIMAL_COMMA = {"uk"}  # languages that write 1,5 where English writes 1.5


def number_text(value: float, spec: str, lang: str = "en") -> str:
    """`value` formatted by `spec` (e.g. ".1f", "g") with the decimal mark `lang` writes."""
    shown = format(value, spec)
    return shown.replace(".", ",") if lang in DECIMAL_COMMA else shown


def count_text(key: str, n: int, lang: str = "en") -> str:
    """`n` things in `lang` with the plural form it needs: `{key}_one`, `_few` (Ukrainian 2–4) or
    `_many`; a language without a form falls back to `_many`, then to English."""
    if lang == "uk":
        form = (
            "one"
            if n % 10 == 1 and n % 100 != 11
            else "few"
            if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14
            else "many"
        )
    else:
        form = "one" if n == 1 else "many"
    table = STRINGS.get(lang, STRINGS["en"])
    template = (
        table.get(f"{key}_{form}")
        or table.get(f"{key}_many")
        or STRINGS["en"][f"{key}_{'one' if form == 'one' else 'many'}"]
    )
    return template.format(n=n)


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


# the motion letters in Recognize, Live and Record (issue 18); kept in their own table so that keys
# added by other changes to the tables above merge cleanly
_MOTION_STRINGS = {
    "en": {
        "motion_seen": "read from the movement",
        "motion_unseen": "this model reads handshapes, not movements: {letter} is read from its handshape only",
        "video_input": "Or a short video: one letter, signed with its movement",
        "video_limit": "mp4, webm, animated GIF or WebP, or record with the webcam; up to 10 s and 10 MB.",
        "live_motion_window": "signed with movement: it counts when the movement ends",
        "live_moving": "↝ reading the movement… it counts when your hand comes to rest",
        "practice_with_movement": "sign it with its movement",
        "practice_movement_ok": "movement recognized",
        "practice_movement_missed": "read as {read}: the movement of {letter} was not recognized",
        "rec_clip_capturing": "Sign it with its movement now: recording {s} s",
        "rec_clip_unusable": "not kept: one hand was tracked in {k} of {n} frames (most are needed); again",
        "rec_clip_seconds": "Clip length for letters with movement (s)",
        "rec_all_clips": "Record every letter as a clip (still letters held still)",
        "rec_clips_per_letter": "Clips per letter (letters recorded as clips)",
        "rec_clip_take": "{letter} — clip {k} of {n}",
        "rec_clip_gave_up": "not kept: one hand was tracked in {k} of {n} frames; {tries} takes in a row failed, so {letter} is left short and the session goes on",
        "rec_short_clips": "Fewer clips than asked for: {letters} (record them again with “Only these letters”)",
    },
    "uk": {
        "motion_seen": "прочитано з руху",
        "motion_unseen": "ця модель читає форму руки, не рух: {letter} прочитано лише з форми руки",
        "video_input": "Або коротке відео: одна літера, показана з рухом",
        "video_limit": "mp4, webm, анімований GIF чи WebP, або запис із вебкамери; до 10 с і 10 МБ.",
        "live_motion_window": "показується з рухом: зараховується, коли рух завершено",
        "live_moving": "↝ читаю рух… зараховується, коли рука зупиниться",
        "practice_with_movement": "покажіть її з рухом",
        "practice_movement_ok": "рух розпізнано",
        "practice_movement_missed": "прочитано як {read}: рух літери {letter} не розпізнано",
        "rec_clip_capturing": "Покажіть її з рухом зараз: запис {s} с",
        "rec_clip_unusable": "не збережено: одну руку видно в {k} з {n} кадрів (потрібно більшість); ще раз",
        "rec_clip_seconds": "Тривалість кліпу для літер із рухом (с)",
        "rec_all_clips": "Записувати кожну літеру кліпом (статичні — нерухомо)",
        "rec_clips_per_letter": "Кліпів на літеру (для літер, що записуються кліпом)",
        "rec_clip_take": "{letter} — кліп {k} з {n}",
        "rec_clip_gave_up": "не збережено: одну руку видно в {k} з {n} кадрів; {tries} спроби поспіль не вдалися, тож {letter} лишається неповною, сеанс триває далі",
        "rec_short_clips": "Менше кліпів, ніж треба: {letters} (запишіть їх ще раз через «Лише ці літери»)",
    },
}
for _code, _table in _MOTION_STRINGS.items():
    STRINGS[_code].update(_table)


# practice asking for a motion letter (issue 18): a held handshape is the learner getting ready, not a
# miss; in a table of their own, so keys added to the ones above merge cleanly
_PRACTICE_MOTION_STRINGS = {
    "en": {"practice_draw_now": "{read} held: now draw the {letter}, it counts when the movement ends"},
    "uk": {
        "practice_draw_now": "{read} утримано: тепер покажіть рух літери {letter}, "
        "зараховується, коли рух завершено"
    },
}
for _code, _table in _PRACTICE_MOTION_STRINGS.items():
    STRINGS[_code].update(_table)
