// The Live tab's browser path: the camera stays in this page. MediaPipe's hand landmarker (Tasks Vision,
// WebAssembly, CPU) runs here in VIDEO mode on each camera frame, the skeleton is drawn here, and only the
// landmarks go to the server: {"t", "w", "h", "hands": [{"lm": 63 numbers, "hd": "Left"|"Right"}]}, the
// message sign_ml/landmark_messages.py checks. The server reads the letter, commits held letters and runs
// practice, exactly as for frames it receives.
//
// Sending: each new frame's message replaces the last unsent one; at most SEND_FPS a second, and none while
// the previous one is still being answered, so a slow server gets fewer, fresh messages, never a queue.
// A frame without a hand is the exception: it is a release (the server's commit rule and rolling window
// start afresh on it), so a newer frame with a hand does not replace it before it is sent; else a hand
// lost for a frame or two (a jump the tracker cannot follow, a hand out and back in) never reached the
// server, which read the frames on either side as one movement.
// The light way (sign_ml/ui/live_route.py): on start the page clicks a hidden Gradio button whose event
// gives a token for this page's own session, then POSTs each message to LIGHT_PATH with it, and puts the
// answer into the letter, word and practice components through a page-only event (no request). When that
// fails (no route, not logged in, an error), the page falls back to the Gradio event: a hidden button
// whose event reads `take()` (Gradio ignores a click while the previous message is being answered).
//
// Everything the page needs comes from the app itself (data-* attributes of #live-browser): no CDN.

const SEND_FPS = 15;
const LIGHT_PATH = "gradio_api/dactyl/live"; // relative to the page, as the app's own files are
const LINK_WAIT_MS = 5000; // no token by then: the Gradio event instead
const ANSWERED = [200, 413, 422, 429]; // the light endpoint's answers (a letter, or a refusal's one line)
const EDGES = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [9, 10], [10, 11], [11, 12],
  [13, 14], [14, 15], [15, 16], [0, 17], [17, 18], [18, 19], [19, 20], [5, 9], [9, 13], [13, 17],
];
export const SKELETON_RGB = [0, 230, 118];

const state = {
  landmarker: null, // a promise of the HandLandmarker, made once per page
  stream: null,
  running: false,
  pending: null, // the newest message not yet taken by the send event
  pendingRelease: false, // that message has no hand: kept until sent (see Sending above)
  lastSent: 0,
  frames: 0, // frames the landmarker ran on
  handFrames: 0, // of which with a hand drawn
  sent: 0, // messages sent, either way
  transport: "event", // "light" (the light endpoint), "linking" (waiting for its token) or "event"
  token: null,
  inflight: false, // a light-endpoint message not yet answered
  light: 0, // messages the light endpoint answered
  relinked: false, // a refused token was renewed once already
  lightError: "", // why the page left the light endpoint, if it did
  reply: null, // the light endpoint's last answer, for the page-only event that shows it
  mode: "",
};

function root() {
  return document.querySelector("#live-browser [data-live-browser]");
}

function say(key, extra) {
  const el = root();
  const status = el && el.querySelector(".live-status");
  if (!status) return;
  let msg = el.dataset[key] || key;
  for (const [k, v] of Object.entries(extra || {})) msg = msg.replace(`{${k}}`, v);
  status.textContent = msg;
  status.dataset.state = key;
}

function wasmWorks() {
  try {
    // the smallest valid module: the SIMD build needs WebAssembly itself, and Tasks Vision checks SIMD
    return typeof WebAssembly === "object" &&
      WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  } catch (e) {
    return false;
  }
}

// the app gives URLs relative to the page; import() needs absolute ones
const abs = (url) => new URL(url, document.baseURI).href;

async function makeLandmarker(el) {
  const vision = await import(abs(el.dataset.vision));
  const fileset = { wasmLoaderPath: abs(el.dataset.wasmLoader), wasmBinaryPath: abs(el.dataset.wasmBinary) };
  return vision.HandLandmarker.createFromOptions(fileset, {
    // CPU: the same XNNPACK path as the server's landmarker (and no GPU in headless browsers)
    baseOptions: { modelAssetPath: abs(el.dataset.task), delegate: "CPU" },
    runningMode: "VIDEO",
    numHands: 1,
    // curation/hands.py's MIN_CONFIDENCE and tracking threshold, as the server's Live landmarker uses
    minHandDetectionConfidence: 0.3,
    minHandPresenceConfidence: 0.3,
    minTrackingConfidence: 0.5,
  });
}

function fallBack(reason) {
  // the server path instead: click the mode radio's "server" choice, as the user would
  console.warn("dactyl live: browser path unavailable:", reason);
  stop();
  say("fallback", { reason });
  const choice = document.querySelector('#live-mode input[value="server"]');
  if (choice && !choice.checked) choice.click();
}

function draw(canvas, video, result) {
  const w = video.videoWidth, h = video.videoHeight;
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d");
  ctx.drawImage(video, 0, 0, w, h);
  const hands = result.landmarks || [];
  ctx.strokeStyle = `rgb(${SKELETON_RGB.join(",")})`;
  ctx.fillStyle = "rgb(255,255,255)";
  ctx.lineWidth = Math.max(2, Math.round(w / 160));
  for (const pts of hands) {
    ctx.beginPath();
    for (const [a, b] of EDGES) {
      ctx.moveTo(pts[a].x * w, pts[a].y * h);
      ctx.lineTo(pts[b].x * w, pts[b].y * h);
    }
    ctx.stroke();
    for (const p of pts) {
      ctx.beginPath();
      ctx.arc(p.x * w, p.y * h, ctx.lineWidth, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  canvas.dataset.hands = String(hands.length);
}

export function message(result, t, w, h) {
  const hands = (result.landmarks || []).map((pts, k) => ({
    lm: pts.flatMap((p) => [+p.x.toFixed(5), +p.y.toFixed(5), +p.z.toFixed(5)]),
    hd: (result.handedness && result.handedness[k] && result.handedness[k][0].categoryName) || "Right",
  }));
  return JSON.stringify({ t: +t.toFixed(1), w, h, hands });
}

function hidden(id) {
  const holder = document.querySelector(id);
  return holder && (holder.tagName === "BUTTON" ? holder : holder.querySelector("button"));
}

function send(msg, hand) {
  if (!(state.pendingRelease && state.pending && hand)) {
    state.pending = msg;
    state.pendingRelease = !hand;
  }
  const now = performance.now();
  if (now - state.lastSent < 1000 / SEND_FPS) return;
  if (state.transport === "linking" || (state.transport === "light" && state.inflight)) return;
  if (state.transport === "light") {
    state.lastSent = now;
    postLight();
    return;
  }
  const button = hidden("#live-lm-send");
  if (!button) return;
  state.lastSent = now;
  button.click();
}

// the light endpoint: a token from this session's link event first
function link() {
  const button = hidden("#live-link");
  if (!button) return leaveLight("no link event");
  state.transport = "linking";
  button.click();
  setTimeout(() => {
    if (state.transport === "linking") leaveLight("no token");
  }, LINK_WAIT_MS);
}

/** The link event's answer (its .then runs this in the page): the token, or "" for none. */
export function linked(token) {
  if (state.transport !== "linking") return;
  if (!token) return leaveLight("no token");
  state.token = token;
  state.transport = "light";
}

function leaveLight(reason) {
  if (state.transport !== "event") console.warn("dactyl live: the Gradio event instead:", reason);
  state.transport = "event";
  state.lightError = reason;
}

async function postLight() {
  const msg = take();
  if (!msg) return;
  state.inflight = true;
  try {
    const response = await fetch(abs(LIGHT_PATH), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Dactyl-Live": state.token },
      body: msg,
      credentials: "same-origin",
      cache: "no-store",
    });
    if (ANSWERED.includes(response.status)) {
      const reply = await response.json();
      state.light += 1;
      return show(reply);
    }
    // an expired or forgotten token (the server dropped it): one renewal, then the Gradio event
    if (response.status === 403 && !state.relinked) {
      state.relinked = true;
      return link();
    }
    leaveLight(`HTTP ${response.status}`);
  } catch (e) {
    leaveLight(String((e && e.message) || e).slice(0, 120));
  } finally {
    state.inflight = false;
  }
}

function show(reply) {
  const button = hidden("#live-show");
  if (!button) return;
  state.reply = reply;
  button.click();
}

/** The page-only show event: the components' new values from the last answer (null: unchanged). */
export function shown(values) {
  const reply = state.reply || {};
  state.reply = null;
  const keys = ["letter", "word", "prompt", "summary"];
  const out = keys.map((k, i) => (reply[k] === null || reply[k] === undefined ? values[i] : reply[k]));
  return out;
}

/** The send event's input: the newest message (then forgotten, so it is sent once). */
export function take() {
  const msg = state.pending;
  state.pending = null;
  state.pendingRelease = false;
  if (msg) state.sent += 1;
  return msg || "";
}

async function start() {
  const el = root();
  if (!el || state.running) return;
  if (!wasmWorks()) return fallBack("no WebAssembly");
  say("loading");
  const video = el.querySelector("video");
  const canvas = el.querySelector("canvas");
  let landmarker;
  try {
    state.landmarker = state.landmarker || makeLandmarker(el);
    landmarker = await state.landmarker;
  } catch (e) {
    state.landmarker = null;
    return fallBack(String((e && e.message) || e).slice(0, 120));
  }
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (e) {
    return say("noCamera", { reason: String((e && e.message) || e).slice(0, 120) });
  }
  video.srcObject = state.stream;
  await video.play();
  state.relinked = false;
  link(); // the light endpoint's token, while the first frames are read
  state.running = true;
  el.dataset.active = "1";
  say("running");
  let lastTime = -1;
  const tick = () => {
    if (!state.running) return;
    if (video.readyState >= 2 && video.currentTime !== lastTime && video.videoWidth > 0) {
      lastTime = video.currentTime;
      const t = performance.now();
      const result = landmarker.detectForVideo(video, t);
      const hand = (result.landmarks || []).length > 0;
      state.frames += 1;
      if (hand) state.handFrames += 1;
      draw(canvas, video, result);
      send(message(result, t, video.videoWidth, video.videoHeight), hand);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

export function stop() {
  state.running = false;
  if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
  state.stream = null;
  const el = root();
  if (el) delete el.dataset.active;
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (target && target.closest("#live-browser .live-start")) start();
  if (target && target.closest("#live-browser .live-stop")) stop();
});

window.dactylLive = { start, stop, take, linked, shown, state, wasmWorks };
