// The web export's page: the camera, the hand landmarker, the landmark features and the model all run in
// this browser (MediaPipe Tasks Vision and onnxruntime-web, both WebAssembly on the CPU); nothing is sent
// anywhere. The held-letter rule is sign_ml/live.py's: a letter seen with top-1 probability >= 0.5,
// unchanged for HOLD_MS, is added to the word once per hold.

import { handFeatures } from "./features.js";
import * as ort from "./assets/onnxruntime-web/ort.wasm.min.mjs";
import { FilesetResolver, HandLandmarker } from "./assets/tasks-vision/vision_bundle.mjs";

const HOLD_MS = 600;
const MIN_CONFIDENCE = 0.5;
const EDGES = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [9, 10], [10, 11], [11, 12],
  [13, 14], [14, 15], [15, 16], [0, 17], [17, 18], [18, 19], [19, 20], [5, 9], [9, 13], [13, 17],
];
const $ = (id) => document.getElementById(id);

function softmax(logits) {
  const m = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

async function load() {
  const classes = await (await fetch("./classes.json")).json();
  ort.env.wasm.wasmPaths = new URL("./assets/onnxruntime-web/", location.href).href;
  ort.env.wasm.numThreads = 1; // a plain static server sends no cross-origin isolation headers
  const session = await ort.InferenceSession.create("./model.onnx", { executionProviders: ["wasm"] });
  const landmarker = await HandLandmarker.createFromOptions(
    { wasmLoaderPath: new URL("./assets/tasks-vision/vision_wasm_internal.js", location.href).href,
      wasmBinaryPath: new URL("./assets/tasks-vision/vision_wasm_internal.wasm", location.href).href },
    {
      baseOptions: { modelAssetPath: "./assets/hand_landmarker.task", delegate: "CPU" },
      runningMode: "VIDEO",
      numHands: 1,
      minHandDetectionConfidence: 0.3,
      minHandPresenceConfidence: 0.3,
      minTrackingConfidence: 0.5,
    },
  );
  return { classes, session, landmarker };
}

const ready = load();

/** Logits for one hand: lm 63 numbers, w×h the frame, hd "Left" | "Right". */
async function logits(lm, w, h, hd) {
  const { classes, session } = await ready;
  const x = handFeatures(lm, w, h, hd === "Left", classes.handedness === "mirror_left");
  const out = await session.run({ [classes.input]: new ort.Tensor("float32", x, [1, x.length]) });
  return Array.from(out[classes.output].data);
}

let tracker = { candidate: null, since: 0, committed: null };
function commitStep(letter, confidence, now) {
  const seen = letter !== null && confidence >= MIN_CONFIDENCE ? letter : null;
  if (seen === null) { tracker = { candidate: null, since: 0, committed: null }; return null; }
  if (seen !== tracker.candidate) tracker = { candidate: seen, since: now, committed: null };
  if (tracker.committed !== seen && now - tracker.since >= HOLD_MS) { tracker.committed = seen; return seen; }
  return null;
}

function draw(canvas, video, hands) {
  const w = video.videoWidth, h = video.videoHeight;
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(video, 0, 0, w, h);
  ctx.strokeStyle = "rgb(0,230,118)";
  ctx.lineWidth = Math.max(2, Math.round(w / 160));
  for (const pts of hands) {
    ctx.beginPath();
    for (const [a, b] of EDGES) { ctx.moveTo(pts[a].x * w, pts[a].y * h); ctx.lineTo(pts[b].x * w, pts[b].y * h); }
    ctx.stroke();
  }
}

async function start() {
  $("status").textContent = "Loading the models…";
  let parts;
  try { parts = await ready; } catch (e) { $("status").textContent = `Cannot run here: ${e.message || e}`; return; }
  const { classes, landmarker } = parts;
  const video = $("video"), canvas = $("canvas");
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } } });
  } catch (e) { $("status").textContent = `No camera: ${e.message || e}`; return; }
  await video.play();
  $("status").textContent = "Running on this device: nothing leaves this page.";
  let last = -1, busy = false;
  const tick = async () => {
    if (!busy && video.readyState >= 2 && video.currentTime !== last) {
      busy = true;
      last = video.currentTime;
      const t = performance.now();
      const result = landmarker.detectForVideo(video, t);
      const hands = result.landmarks || [];
      draw(canvas, video, hands);
      let letter = null, p = 0;
      if (hands.length) {
        const lm = hands[0].flatMap((q) => [q.x, q.y, q.z]);
        const probs = softmax(await logits(lm, video.videoWidth, video.videoHeight, result.handedness[0][0].categoryName));
        const k = probs.indexOf(Math.max(...probs));
        letter = classes.class_names[k]; p = probs[k];
        const shown = classes.display[k] + (classes.motion[k] ? " (motion letter: its start only)" : "");
        $("letter").textContent = `${shown} · ${(100 * p).toFixed(0)}%`;
      } else {
        $("letter").textContent = "no hand";
      }
      const committed = commitStep(letter, p, t);
      if (committed !== null) $("word").textContent += classes.display[classes.class_names.indexOf(committed)];
      busy = false;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

$("start").addEventListener("click", start);
$("clear").addEventListener("click", () => { $("word").textContent = ""; });
window.dactylExport = { ready, logits, handFeatures };
