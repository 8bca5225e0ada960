"""One walk over a workflow task's payloads does what the SDK's three do."""

from __future__ import annotations

from typing import Any

import pytest
import temporalio.bridge.worker as bridge_worker
from temporalio.api.common.v1 import Payload
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import DataConverter

from workflows import payload_walk
from workflows.client import data_converter
from workflows.codec import compress
from workflows.sandbox import workflow_runner


def json_payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def packed(text: str) -> Payload:
    payload = compress(json_payload(text))
    assert payload.metadata["encoding"] != b"json/plain"
    return payload


def activation() -> WorkflowActivation:
    act = WorkflowActivation(run_id="run")
    start = act.jobs.add().initialize_workflow
    start.arguments.append(packed('{"procedure": "1.004227"}' * 40))
    start.headers["h"].CopyFrom(packed('{"trace": "abc"}' * 10))
    update = act.jobs.add().do_update
    update.id, update.name = "u1", "accept"
    update.input.append(packed('{"actor": "clerk-1", "note": "đủ hồ sơ"}' * 5))
    update.headers["h"].CopyFrom(packed('{"trace": "def"}' * 10))
    act.jobs.add().resolve_activity.result.completed.result.CopyFrom(
        packed('{"written": true}' * 12)
    )
    act.jobs.add().signal_workflow.input.append(json_payload('"not compressed"'))
    act.jobs.add().fire_timer.seq = 4
    return act


def completion() -> WorkflowActivationCompletion:
    done = WorkflowActivationCompletion(run_id="run")
    commands = done.successful.commands
    local = commands.add().schedule_local_activity
    local.seq = 1
    local.arguments.append(json_payload('{"event": "accepted"}' * 20))
    local.headers["h"].CopyFrom(json_payload('{"trace": "abc"}' * 10))
    commands.add().update_response.completed.CopyFrom(json_payload('{"status": "ok"}' * 15))
    commands.add().start_timer.seq = 2
    commands.add().complete_workflow_execution.result.CopyFrom(json_payload('"x"' * 100))
    commands.add().respond_to_query.succeeded.response.CopyFrom(json_payload('"tiny"'))
    return done


@pytest.mark.parametrize("headers", [True, False])
async def test_one_walk_decodes_an_activation_as_the_sdk_does(headers: bool) -> None:
    ours, sdks = activation(), activation()
    await payload_walk.decode_activation(ours, data_converter, headers, 1)
    await payload_walk._SDK_DECODE(sdks, data_converter, headers, 1)
    assert ours == sdks
    assert ours != activation()  # something was decoded
    assert ours.jobs[1].do_update.input[0] == json_payload(
        '{"actor": "clerk-1", "note": "đủ hồ sơ"}' * 5
    )


@pytest.mark.parametrize("headers", [True, False])
async def test_one_walk_encodes_a_completion_as_the_sdk_does(headers: bool) -> None:
    ours, sdks = completion(), completion()
    await payload_walk.encode_completion(ours, data_converter, headers, 1)
    await payload_walk._SDK_ENCODE(sdks, data_converter, headers, 1)
    assert ours == sdks
    assert ours != completion()  # something was compressed


async def test_a_converter_with_external_storage_keeps_the_sdks_walks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    async def sdk_decode(*args: Any) -> None:
        calls.append("decode")

    async def sdk_encode(*args: Any) -> None:
        calls.append("encode")

    monkeypatch.setattr(payload_walk, "_SDK_DECODE", sdk_decode)
    monkeypatch.setattr(payload_walk, "_SDK_ENCODE", sdk_encode)
    stored = DataConverter(external_storage=object())  # type: ignore[arg-type]
    await payload_walk.decode_activation(activation(), stored, True, 4)
    await payload_walk.encode_completion(completion(), stored, True, 4)
    assert calls == ["decode", "encode"]


def test_every_workers_runner_walks_once() -> None:
    """Fails when an SDK upgrade changes the walks' functions: re-check this module then."""
    workflow_runner()
    assert bridge_worker.decode_activation is payload_walk.decode_activation
    assert bridge_worker.encode_completion is payload_walk.encode_completion
