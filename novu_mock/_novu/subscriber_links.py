"""A subscriber's online flag and its chat OAuth (Slack) links: PATCH
/v1/subscribers/{id}/online-status and GET /v1/subscribers/{id}/credentials/{providerId}/oauth
(and /oauth/callback), as apps/api/src/app/subscribers/usecases/update-subscriber-online-flag,
chat-oauth and chat-oauth-callback answer them. The mock reaches no provider: the callback
takes any code as Slack's consent and stores a webhook URL made from it."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import quote

from .._core.errors import NovuError, field_problem
from .._core.http import Reply
from .._core.request import Request
from .._model.environment import Environment
from .listing import raise_problems
from .subscribers import subscriber_view

_MONGO_ID = re.compile(r"^[0-9a-fA-F]{24}$")
SLACK_OAUTH_URL = "https://slack.com/oauth/v2/authorize?"
CLOSE_TAB = "<script>window.close();</script>"


def online_status(req: Request) -> Reply:
    """PATCH /v1/subscribers/{subscriberId}/online-status: `isOnline`; going offline stamps
    `lastOnlineAt`."""
    env = req.environment()
    body = req.json_object()
    value = body.get("isOnline")
    if not isinstance(value, bool):
        messages = ["isOnline must be a boolean value"]
        if value is None:
            messages.insert(0, "isOnline should not be null or undefined")
        raise_problems({"isOnline": field_problem(messages, value, "isOnline" in body)})
    entity = env.subscribers.get(req.params["subscriberId"])
    if entity is None:
        raise NovuError(404, "Subscriber not found")
    entity["isOnline"] = value
    if not value:
        entity["lastOnlineAt"] = req.stamp
    return Reply.json(200, {"data": subscriber_view(env, entity)})


def _query(req: Request) -> dict[str, str]:
    """`ChatOauthRequestDto` (and the callback's `code`): 422 for what class-validator refuses."""
    query = req.query()
    problems: dict[str, dict[str, Any]] = {}
    env_id = query.get("environmentId")
    if env_id is None:
        problems["environmentId"] = field_problem(
            ["environmentId should not be null or undefined", "environmentId must be a mongodb id"]
        )
    elif not _MONGO_ID.match(env_id):
        problems["environmentId"] = field_problem(
            ["environmentId must be a mongodb id"], env_id, True
        )
    raise_problems(problems)
    return query


def _integration_credentials(env: Environment, query: dict[str, str], provider: str) -> Any:
    """The newest chat integration of `provider` in the environment the query names."""
    env_id = query["environmentId"]
    found = None
    if env_id == env.id:
        for integration in env.integrations:
            if integration.channel != "chat" or integration.provider_id != provider:
                continue
            identifier = query.get("integrationIdentifier")
            if identifier and integration.identifier != identifier:
                continue
            found = integration
    where = f"Integration in environment {env_id}"
    about = f"channel: chat, providerId: {provider}"
    if found is None:
        raise NovuError(404, f"{where} was not found, {about}")
    return found.credentials


def _check_hmac(env: Environment, credentials: Any, subscriber_id: str, given: str | None) -> None:
    if not credentials.get("hmac"):
        return
    if not given:
        raise NovuError(
            400,
            "Hmac is enabled on the integration, please provide a HMAC hash on the request params",
        )
    key = env.key or ""
    expected = hmac.new(key.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise NovuError(400, "Hmac is enabled on the integration, please provide a valid HMAC hash")


def _callback_url(req: Request, subscriber_id: str, provider: str, query: dict[str, str]) -> str:
    host = req.call.headers.get("host", "api.novu.co")
    scheme = "http" if host.startswith(("127.0.0.1", "localhost", "[::1]")) else "https"
    url = (
        f"{scheme}://{host}/v1/subscribers/{subscriber_id}/credentials/{provider}/oauth/callback"
        f"?environmentId={query['environmentId']}"
    )
    if query.get("integrationIdentifier"):
        url += f"&integrationIdentifier={query['integrationIdentifier']}"
    return url


def chat_oauth(req: Request) -> Reply:
    """GET …/credentials/{providerId}/oauth: 302 to Slack's consent page with the
    integration's `clientId`."""
    env = req.environment()
    query = _query(req)
    subscriber_id, provider = req.params["subscriberId"], req.params["providerId"]
    credentials = _integration_credentials(env, query, provider)
    if not credentials.get("clientId"):
        raise NovuError(
            404,
            f"Integration in environment {query['environmentId']} missing clientId, "
            f"channel: chat, providerId: {provider}",
        )
    _check_hmac(env, credentials, subscriber_id, query.get("hmacHash"))
    redirect = _callback_url(req, subscriber_id, "slack", query)
    location = (
        f"{SLACK_OAUTH_URL}client_id={credentials['clientId']}&scope=incoming-webhook"
        f"&user_scope=&redirect_uri={quote(redirect, safe='')}"
    )
    return Reply(
        302,
        [("location", location), ("content-type", "text/plain; charset=utf-8")],
        f"Found. Redirecting to {location}".encode(),
    )


def chat_oauth_callback(req: Request) -> Reply:
    """GET …/credentials/{providerId}/oauth/callback?code=…: the subscriber (created when
    missing) gets the provider's channel with a webhook URL; then 302 to the integration's
    `redirectUrl`, or a page that closes the tab."""
    env = req.environment()
    query = _query(req)
    subscriber_id, provider = req.params["subscriberId"], req.params["providerId"]
    credentials = _integration_credentials(env, query, provider)
    _check_hmac(env, credentials, subscriber_id, query.get("hmacHash"))
    code = query.get("code")
    if not code:
        raise NovuError(400, f"Provider {provider} returned error invalid_code")
    webhook = f"https://hooks.slack.com/services/novu-mock/{quote(code, safe='')}"
    if subscriber_id not in env.subscribers:
        env.save_subscriber({"subscriberId": subscriber_id}, req.stamp, replace_null=False)
    entity = env.subscribers[subscriber_id]
    env.set_credentials(
        entity,
        provider,
        {"webhookUrl": webhook, "channel": provider},
        query.get("integrationIdentifier") or None,
        req.stamp,
        merge=False,
        keep_identifier=False,
    )
    target = credentials.get("redirectUrl")
    if target:
        return Reply(
            302,
            [("location", target), ("content-type", "text/plain; charset=utf-8")],
            f"Found. Redirecting to {target}".encode(),
        )
    return Reply(200, [("content-type", "text/html; charset=utf-8")], CLOSE_TAB.encode())
