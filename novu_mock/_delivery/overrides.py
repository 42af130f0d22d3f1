"""A trigger's `overrides`, applied to each channel step's message as Novu's worker and its
providers apply them (docs/fixtures.md, "Overrides", lists what is honoured).

Two layers, as in Novu:

- the channel layer (`legacy`): `overrides.<channel>` then `overrides.<providerId>` (later wins),
  which Novu's send-message usecases pass to the provider as its options (`buildMessageOverrides`
  in apps/worker/src/app/workflow/usecases/send-message/send-message-chat.usecase.ts; the sms and
  email usecases merge the same two; push reads `overrides.<providerId>` alone);
- the provider layer (`provider_layer`): `overrides.providers.<providerId>` then
  `overrides.steps.<stepId>.providers.<providerId>`, deep-merged with arrays replaced whole
  (`combineProviderOverrides` in send-message.base.ts), which the provider merges into the body
  it sends (`transform(bridgeProviderData, body)` in packages/providers).
"""

from __future__ import annotations

from typing import Any

# Providers whose request spreads the channel layer over the push notification's title and
# body (packages/providers/src/lib/push/{fcm,expo,apns}/*.provider.ts); FCM only for
# `type` other than `data`.
TITLE_BODY_PUSH = frozenset(("fcm", "expo", "apns"))
# Push providers whose provider layer (`overrides.providers.<id>`) holds the texts the device
# shows: FCM's `notification.title`/`body`, Expo's `title`/`body` (APNs' are not read).
PROVIDER_LAYER_PUSH = frozenset(("fcm", "expo"))
# Chat providers whose body is `{text: content, ...customData}` (slack.provider.ts).
TEXT_CHAT = frozenset(("slack",))
SENDER_FIELDS = ("from", "senderName", "replyTo", "cc", "bcc")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _merge(target: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """lodash `mergeWith(..., replaceArrays)`: objects merge key by key, anything else (arrays
    included) replaces."""
    for key, value in source.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            target[key] = _merge(dict(current), value)
        elif isinstance(value, dict):
            target[key] = _merge({}, value)
        else:
            target[key] = value
    return target


def legacy(overrides: Any, channel: str, provider_id: str) -> dict[str, Any]:
    """The channel layer: `overrides.<channel>` (not for push) then `overrides.<providerId>`."""
    overrides = _dict(overrides)
    merged = {} if channel == "push" else dict(_dict(overrides.get(channel)))
    merged.update(_dict(overrides.get(provider_id)))
    return merged


def provider_layer(overrides: Any, step_id: str, provider_id: str) -> dict[str, Any]:
    """The provider layer: `overrides.providers.<id>`, then the step's `providers.<id>`."""
    overrides = _dict(overrides)
    workflow_wide = _dict(_dict(overrides.get("providers")).get(provider_id))
    step = _dict(_dict(overrides.get("steps")).get(step_id))
    step_scoped = _dict(_dict(step.get("providers")).get(provider_id))
    if not workflow_wide and not step_scoped:
        return {}
    return _merge(_merge({}, workflow_wide), step_scoped)


def sender(overrides: Any, step_id: str, provider_id: str) -> dict[str, Any]:
    """An email's `from`, `senderName`, `replyTo`, `cc`, `bcc`: the channel layer, then the
    provider layer; each later source wins."""
    merged: dict[str, Any] = {}
    for source in (
        legacy(overrides, "email", provider_id),
        provider_layer(overrides, step_id, provider_id),
    ):
        merged.update({k: source[k] for k in SENDER_FIELDS if k in source})
    return merged


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def delivered(
    overrides: Any, channel: str, step_id: str, provider_id: str, subject: str, content: str
) -> tuple[str, str]:
    """(subject, content) as the provider sends them.

    email: `subject`, then `html` or `text` of the channel layer (`createMailData`);
    sms: `content` of the channel layer (send-message-sms `sendMessage`);
    push (fcm, expo, apns): `title` and `body` of `overrides.<providerId>`, spread over the
    notification (fcm: unless `type` is `data`), then of the provider layer (fcm: under
    `notification`; expo: at the top);
    chat (slack): `text` of the channel layer, then of the provider layer.
    in_app takes no overrides."""
    if channel == "in_app" or not isinstance(overrides, dict) or not overrides:
        return subject, content
    layer = legacy(overrides, channel, provider_id)
    if channel == "email":
        subject = _text(layer.get("subject")) or subject
        content = _text(layer.get("html")) or _text(layer.get("text")) or content
    elif channel == "sms":
        content = _text(layer.get("content")) or content
    elif channel == "push" and provider_id in TITLE_BODY_PUSH:
        if not (provider_id == "fcm" and layer.get("type") == "data"):
            title, body = layer.get("title"), layer.get("body")
            subject = title if isinstance(title, str) else subject
            content = body if isinstance(body, str) else content
        # The provider layer is merged into the request the provider sends: FCM's message
        # carries the texts under `notification`, Expo's at the top.
        top = provider_layer(overrides, step_id, provider_id)
        texts = _dict(top.get("notification")) if provider_id == "fcm" else top
        if provider_id in PROVIDER_LAYER_PUSH:
            title, body = texts.get("title"), texts.get("body")
            subject = title if isinstance(title, str) else subject
            content = body if isinstance(body, str) else content
    elif channel == "chat" and provider_id in TEXT_CHAT:
        top = provider_layer(overrides, step_id, provider_id)
        for source in (layer, top):
            if isinstance(source.get("text"), str):
                content = source["text"]
    return subject, content


def address(
    overrides: Any,
    payload: Any,
    channel: str,
    step_id: str,
    provider_id: str,
    found: Any,
) -> Any:
    """The address the provider sends to, from the subscriber's (`found`): sms `to` of the
    channel layer; push `deviceTokens` of `overrides.<providerId>`; chat `webhookUrl` of the
    provider layer, else `payload.webhookUrl` (send-message-chat `sendChannelMessageLegacy`)."""
    if channel == "sms":
        to = legacy(overrides, "sms", provider_id).get("to")
        return to if isinstance(to, str) and to else found
    if channel == "push":
        tokens = legacy(overrides, "push", provider_id).get("deviceTokens")
        if isinstance(tokens, list) and tokens:
            return (found[0], tuple(str(t) for t in tokens))
        return found
    if channel == "chat":
        url = chat_url(overrides, payload, step_id, provider_id)
        return (found[0], url) if url else found
    return found


def chat_url(overrides: Any, payload: Any, step_id: str, provider_id: str) -> str | None:
    """A chat webhook URL that overrides the subscriber's: the provider layer's `webhookUrl`,
    else the payload's `webhookUrl`."""
    for url in (
        provider_layer(overrides, step_id, provider_id).get("webhookUrl"),
        _dict(payload).get("webhookUrl"),
    ):
        if isinstance(url, str) and url:
            return url
    return None
