"""
The official Python `openai` package, unmodified, against the real gateway
stack (started by test/e2e/python.e2e.test.ts, which runs this file with
pytest): chat completions, the Responses API and embeddings, streamed and
not, miss then hit, and errors as the SDK's own exception classes.

Environment: REFLEX_GATEWAY_URL (the gateway) and REFLEX_UPSTREAM_URL (the
fake provider, for its call counters and scripted failures).
"""
import base64
import json
import os
import struct
import time
import urllib.request

import openai
import pytest
from openai import OpenAI

GATEWAY = os.environ["REFLEX_GATEWAY_URL"]
UPSTREAM = os.environ["REFLEX_UPSTREAM_URL"]


@pytest.fixture(scope="module")
def client():
    return OpenAI(base_url=f"{GATEWAY}/v1", api_key="python-sdk-tenant", max_retries=0)


def upstream(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{UPSTREAM}/{path}", data=data, method="POST" if body is not None else "GET", headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)


def await_hit(call):
    """Polls with only-if-cached until the fill behind a miss has stored its entry (at most 20 s)."""
    deadline = time.time() + 20
    while True:
        try:
            return call(extra_headers={"X-Reflex-Cache": "only-if-cached"})
        except openai.APIStatusError as err:
            if err.status_code != 504 or time.time() > deadline:
                raise
            time.sleep(0.2)


def user(text):
    return [{"role": "user", "content": text}]


# --- chat completions -------------------------------------------------------

def test_chat_miss_then_hit(client):
    params = dict(model="test-model", messages=user("Python: what is the capital of France?"))
    first = client.chat.completions.with_raw_response.create(**params)
    assert first.headers["x-reflex-status"] == "MISS"
    await_hit(lambda **kw: client.chat.completions.create(**params, **kw))
    second = client.chat.completions.with_raw_response.create(**params)
    assert second.headers["x-reflex-status"] == "HIT_L1_EXACT"
    assert second.parse().model_dump() == first.parse().model_dump()
    assert first.parse().choices[0].message.content == "Answer to: Python: what is the capital of France?"


def test_chat_stream_miss_then_hit(client):
    params = dict(model="test-model", messages=user("Python: what is the capital of Spain?"), stream=True)
    with client.chat.completions.with_streaming_response.create(**params) as res:
        assert res.headers["x-reflex-status"] == "MISS"
        miss = "".join(c.choices[0].delta.content or "" for c in res.parse() if c.choices)
    assert miss == "Answer to: Python: what is the capital of Spain?"
    await_hit(lambda **kw: client.chat.completions.create(**{**params, "stream": False}, **kw))
    with client.chat.completions.with_streaming_response.create(**params) as res:
        assert res.headers["x-reflex-status"] == "HIT_L1_EXACT"
        chunks = list(res.parse())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == miss
    assert chunks[-1].choices[0].finish_reason == "stop"


# --- Responses API ----------------------------------------------------------

def test_responses_miss_then_hit(client):
    params = dict(model="test-model", input="Python: what is the capital of Italy?")
    first = client.responses.with_raw_response.create(**params)
    assert first.headers["x-reflex-status"] == "MISS"
    await_hit(lambda **kw: client.responses.create(**params, **kw))
    second = client.responses.with_raw_response.create(**params)
    assert second.headers["x-reflex-status"] == "HIT_L1_EXACT"
    assert second.parse().output_text == first.parse().output_text == "Answer to: Python: what is the capital of Italy?"
    assert second.parse().id == first.parse().id


def test_responses_stream_hit_replays_events(client):
    params = dict(model="test-model", input="Python: what is the capital of Italy?")
    stored = client.responses.create(**params)
    with client.responses.with_streaming_response.create(**params, stream=True) as res:
        assert res.headers["x-reflex-status"] == "HIT_L1_EXACT"
        events = list(res.parse())
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == stored.output_text
    assert events[-1].response.id == stored.id


def test_responses_stream_miss_then_json_hit(client):
    params = dict(model="test-model", input="Python: what is the capital of Portugal?")
    with client.responses.stream(**params) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == "Answer to: Python: what is the capital of Portugal?"
    hit = await_hit(lambda **kw: client.responses.create(**params, **kw))
    assert hit.output_text == text
    assert hit.id == final.id


# --- embeddings -------------------------------------------------------------

def test_embeddings_partial_batch(client):
    before = len(upstream("__calls")["embeddedItems"])
    first = client.embeddings.create(model="embed-model", input=["py-a", "py-b", "py-c"], encoding_format="float")
    second = client.embeddings.with_raw_response.create(model="embed-model", input=["py-a", "py-b", "py-c", "py-d"], encoding_format="float")
    assert upstream("__calls")["embeddedItems"][before:] == [3, 1]
    assert second.headers["x-reflex-cached-items"] == "3/4"
    data = second.parse().data
    assert [d.index for d in data] == [0, 1, 2, 3]
    assert [d.embedding for d in data[:3]] == [d.embedding for d in first.data]
    assert second.parse().usage.prompt_tokens == 4


def test_embeddings_base64_is_the_same_vector(client):
    floats = client.embeddings.create(model="embed-model", input="py one vector", encoding_format="float").data[0].embedding
    raw = client.embeddings.create(model="embed-model", input="py one vector", encoding_format="base64").data[0].embedding
    decoded = list(struct.unpack(f"<{len(floats)}f", base64.b64decode(raw)))
    assert decoded == floats
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    assert client.embeddings.create(model="embed-model", input="py one vector").data[0].embedding == floats


# --- errors -----------------------------------------------------------------

def test_validation_error_is_bad_request(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="test-model", messages=[])
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="embed-model", input=[])
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="test-model", input="x", temperature=5)


def test_provider_errors_keep_their_class(client):
    upstream("__fail", {"failures": [{"status": 404, "body": {"error": {"message": "no such model", "type": "invalid_request_error", "param": None, "code": "model_not_found"}}}]})
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="test-model", input="Python error case 404")
    limited = {"status": 429, "body": {"error": {"message": "slow down", "type": "rate_limit_error", "param": None, "code": None}}, "headers": {"retry-after": "7"}}
    upstream("__fail", {"failures": [limited, limited]})
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="test-model", messages=user("Python error case 429"), stream=True)
    assert caught.value.response.headers["retry-after"] == "7"
    upstream("__fail", {"failures": [{"status": 401, "body": {"error": {"message": "bad key", "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}}]})
    with pytest.raises(openai.AuthenticationError):
        client.embeddings.create(model="embed-model", input="python never cached")


def test_only_if_cached_miss_is_a_504(client):
    with pytest.raises(openai.InternalServerError) as caught:
        client.responses.create(model="test-model", input="Python never asked before", extra_headers={"X-Reflex-Cache": "only-if-cached"})
    assert caught.value.status_code == 504
