"""Device actions and alert dismissal (Carbon Black Cloud): quarantine a device and lift it, ask
it for a background scan, then close the open alerts on it as false positives (one workflow
job) and dismiss the threat behind the newest one, so its future alerts are dismissed too.

    python examples/cloud/device_actions.py [--device-id ID] [--keep] [--profile NAME]

Against your org this changes things: a device is quarantined (and, unless ``--keep``, let out
again) and alerts are closed. Run it on a test device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from _target import run

from cbasync import CBCloudAPI
from cbasync.cloud import Alert, Device


@dataclass
class Actions:
    device: Device | None = None
    closed: list[str] = field(default_factory=list)
    dismissed_threat: str | None = None


async def main(
    api: CBCloudAPI, *, device_id: int | None = None, keep: bool = False, max_wait: float = 60
) -> Actions:
    done = Actions()
    if device_id is None:
        # The Windows device with the most open alerts.
        alerts = api.select(Alert).set_workflows(["OPEN"]).set_device_os(["WINDOWS"])
        facets = await alerts.facets("device_id", rows=1)
        top = facets.get("device_id") or []
        if not top:
            print("no open alert on a Windows device")
            return done
        device_id = int(str(top[0].id))
    done.device = device = await api.get(Device, device_id)
    print(f"device {device.id} {device.name} ({device.os}, policy {device.policy_name})")
    await device.quarantine(True)
    print("  quarantine requested (the sensor applies it at its next check-in)")
    if not keep:
        await device.quarantine(False)
        print("  quarantine lifted")
    await device.background_scan(True)
    print("  background scan requested")

    open_alerts = api.select(Alert).set_device_ids([device_id]).set_workflows(["OPEN"])
    found = await open_alerts.sort_by("backend_timestamp", "DESC").all()
    done.closed = [alert.id for alert in found if alert.id]
    if not found:
        print("  no open alert on it")
        return done
    job = await open_alerts.close("RESOLVED", determination="FALSE_POSITIVE", note="example")
    await job.wait(max_wait=max_wait)  # one workflow job for all of them
    print(f"  {len(done.closed)} open alerts closed as false positives")
    newest = found[0]
    if newest.threat_id:
        await newest.dismiss_threat(remediation="FALSE_POSITIVE", comment="example")
        done.dismissed_threat = newest.threat_id
        print(f"  threat {newest.threat_id} dismissed: its future alerts are dismissed too")
    return done


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--device-id"], {"type": int, "help": "the device (default: most open alerts)"}),
            (["--keep"], {"action": "store_true", "help": "leave it quarantined"}),
        ],
    )
