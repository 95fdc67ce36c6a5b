// The chat page: the stock Phoenix client (global `Phoenix`) talking to phx-chat.
"use strict";

const $ = (id) => document.getElementById(id);
const nameInput = $("name"), roomInput = $("room"), bodyInput = $("body");
const messages = $("messages"), status = $("status"), roomLabel = $("room-label");
const members = $("members");

// `?transport=longpoll` forces Phoenix's long-poll transport; otherwise WebSocket.
const transport = new URLSearchParams(location.search).get("transport") === "longpoll"
  ? Phoenix.LongPoll : WebSocket;

let socket = null, socketName = null;  // one socket per name: the name is in its token
let channel = null;                    // the room we are in

// One line of the list. textContent only: user text is never parsed as HTML.
function makeLine(className, name, text) {
  const li = document.createElement("li");
  li.className = className;
  if (name !== null) {
    const who = document.createElement("span");
    who.className = "name";
    who.textContent = name;
    li.append(who, " ");
  }
  const what = document.createElement("span");
  what.className = "text";
  what.textContent = text;
  li.append(what);
  return li;
}

function addLine(className, name, text) {
  const li = makeLine(className, name, text);
  messages.append(li);
  li.scrollIntoView({ block: "end" });
}
const systemLine = (text) => addLine("system", null, text);
const errorLine = (text) => addLine("system error", null, text);

// Who is in the room: one line per name, with how many tabs it has open.
function renderMembers(list) {
  list.sort((a, b) => a.name.localeCompare(b.name));
  members.replaceChildren(...list.map(({ name, tabs }) => {
    const li = document.createElement("li");
    li.dataset.name = name;
    li.dataset.tabs = tabs;
    li.textContent = tabs > 1 ? `${name} (${tabs} tabs)` : name;
    return li;
  }));
}

function setStatus(state) {
  status.textContent = state;
  status.className = "status " + state;
}

function setCanSend(on) {
  bodyInput.disabled = $("send").disabled = !on;
  if (on) bodyInput.focus();
}

// The server signs a token for the name (Phoenix.Token); the socket connects
// with it, and the server takes the name from it.
async function fetchToken(name) {
  const res = await fetch("/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body.token;
}

async function connect(name) {
  if (socket) socket.disconnect();
  socket = socketName = null;
  const token = await fetchToken(name);
  socketName = name;
  const s = socket = new Phoenix.Socket("/socket", { transport, params: { token } });
  // The client reconnects (and rejoins the channel) by itself, so these only
  // update the indicator. `s === socket` ignores a replaced socket's late close.
  s.onOpen(() => s === socket && setStatus("connected"));
  s.onClose(() => s === socket && setStatus("disconnected"));
  s.onError(() => s === socket && setStatus("disconnected"));
  s.connect();
}

async function join(name, room) {
  if (channel) channel.leave();           // leave the previous room first
  channel = null;
  if (name !== socketName) {              // a new name needs a new socket
    try {
      await connect(name);
    } catch (e) {
      return errorLine("No token for that name: " + e.message);
    }
  }

  messages.replaceChildren();
  members.replaceChildren();
  roomLabel.textContent = `Joining “${room}”…`;
  setCanSend(false);

  const ch = channel = socket.channel("room:" + room);
  // Until the server acknowledges our leave, the old channel still receives
  // broadcasts; `ch === channel` keeps them out of the new room's list.
  ch.on("new_msg", (msg) => ch === channel && addLine("msg", msg.name, msg.body));
  // May arrive before or after the join reply; either way it is just a line.
  ch.on("user_joined", (msg) => ch === channel && systemLine(`${msg.name} joined`));
  // The room's last messages, once per join (a rejoin after a reconnect
  // sends them again): above anything already shown.
  ch.on("history", ({ messages: past }) => {
    if (ch !== channel) return;
    messages.querySelectorAll(".history").forEach((li) => li.remove());
    const first = messages.firstChild;
    for (const msg of past) messages.insertBefore(makeLine("msg history", msg.name, msg.body), first);
  });
  // The stock Presence class follows the server's presence_state and
  // presence_diff; each name has one meta per open tab.
  const presence = new Phoenix.Presence(ch);
  presence.onSync(() => ch === channel &&
    renderMembers(presence.list((name, { metas }) => ({ name, tabs: metas.length }))));
  ch.join()
    .receive("ok", () => {
      roomLabel.textContent = `Room “${room}”, as ${name}`;
      setCanSend(true);
    })
    .receive("error", (resp) => errorLine("Join failed: " + (resp.reason || JSON.stringify(resp))))
    .receive("timeout", () => errorLine("Join timed out, retrying…"));
}

$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = nameInput.value.trim(), room = roomInput.value.trim() || "lobby";
  if (name) join(name, room);
});

// A form submit covers both the Send button and Enter in the input.
$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const body = bodyInput.value.trim();
  if (!channel || !body) return;
  bodyInput.value = "";
  // No local echo: the server broadcasts the message to us as well.
  channel.push("new_msg", { body })
    .receive("error", (resp) => errorLine("Not sent: " + resp.reason))
    .receive("timeout", () => errorLine("Not sent (timed out): " + body));
});
