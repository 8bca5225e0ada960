"""The portal relay: a dossier's new records sent to the portal straight from beside the
dossier worker, without a workflow round, while the portal answers promptly.

The projection commits a dossier's records and pokes the `PortalWaker`, which calls the relay
for the dossier. The relay runs one delivery round itself (`PortalSyncActivities.deliver_now`,
on a portal client with a short timeout) and is done if nothing is left. Anything else hands
the dossier to its durable path, the `PortalSyncWorkflow` (signal-with-start): records left
over, another round holding the dossier, a portal that timed out or is down. After a failure
to reach the portal the relay stands aside for a while and every dossier goes to its workflow,
which waits the outage out; the records never depend on the relay. A round's claim on the
dossier (`db.portal_outbox.next_deliveries`) keeps the relay and a workflow from sending one
dossier's records at the same time."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from activities.portal_client import PortalUnavailable
from activities.portal_sync import DeliveryBusy, PortalSyncActivities
from messages import DeliveryInput, DeliveryOutcome

log = logging.getLogger("motcua.portal_relay")

Deliver = Callable[[DeliveryInput], Awaitable[DeliveryOutcome]]
Wake = Callable[[str, str], Awaitable[None]]

#: How long the relay stands aside after the portal could not be reached.
STAND_ASIDE = timedelta(seconds=30)


class PortalRelay:
    """A `PortalWaker`'s wake: deliver now if the portal allows, else wake the workflow."""

    def __init__(
        self,
        deliver: Deliver,
        wake: Wake,
        *,
        stand_aside: timedelta = STAND_ASIDE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._deliver = deliver
        self._wake = wake
        self._stand_aside = stand_aside.total_seconds()
        self._clock = clock
        self._aside_until = 0.0
        #: rounds the relay finished, and dossiers it handed to their workflow
        self.delivered = 0
        self.handed = 0

    @classmethod
    def through(cls, sync: PortalSyncActivities, wake: Wake) -> PortalRelay:
        """The relay that runs `sync`'s delivery rounds as relay rounds."""
        return cls(functools.partial(sync.deliver_now, relay=True), wake)

    @property
    def standing_aside(self) -> bool:
        return self._clock() < self._aside_until

    async def __call__(self, code: str, reason: str) -> None:
        left = "the relay stands aside" if self.standing_aside else await self._round(code)
        if not left:
            self.delivered += 1
            return
        self.handed += 1
        log.debug("portal sync of %s handed to its workflow: %s", code, left)
        await self._wake(code, reason)

    async def _round(self, code: str) -> str:
        """One round for the dossier: what it left for the workflow ("" if nothing)."""
        try:
            outcome = await self._deliver(DeliveryInput(dossier_code=code))
        except DeliveryBusy as exc:
            return str(exc)  # its workflow is sending; the wake makes sure it sees these
        except PortalUnavailable as exc:
            self._aside_until = self._clock() + self._stand_aside
            log.warning(
                "portal not answering (%s): its sync workflows deliver for %.0f s",
                exc,
                self._stand_aside,
            )
            return str(exc)
        except Exception as exc:
            log.exception("the relay's round for %s failed; its sync workflow takes it", code)
            return repr(exc)
        # a parked dossier waits for its re-drive, which wakes its workflow
        if outcome.parked or outcome.remaining == 0:
            return ""
        return f"{outcome.remaining} record(s) left"
