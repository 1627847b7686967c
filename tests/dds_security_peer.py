"""One plain Cyclone DDS participant for the DDS-Security tests, in its own process (Cyclone reads its config,
``CYCLONEDDS_URI``, once per process): ``python -m tests.dds_security_peer write|read DOMAIN TOPIC TAG SECONDS``.
Prints one JSON line: what it sent, what it received by tag, or which entity security refused. (No ``from
__future__ import annotations``: cyclonedds reads the IDL field types from the annotations.)"""

import json
import sys
import time
from dataclasses import dataclass

from cyclonedds.core import DDSException
from cyclonedds.domain import DomainParticipant
from cyclonedds.idl import IdlStruct
from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic


@dataclass
class Tagged(IdlStruct, typename="robot_ac::Tagged"):
    tag: str
    sequence: int


def main(role: str, domain: int, topic_name: str, tag: str, seconds: float) -> dict:
    try:
        participant = DomainParticipant(domain)
    except DDSException as exc:
        return {"refused": "participant", "error": str(exc)}
    topic = Topic(participant, topic_name, Tagged)
    end = time.monotonic() + seconds
    if role == "write":
        try:
            writer = DataWriter(participant, topic)
        except DDSException as exc:
            return {"refused": "writer", "error": str(exc)}
        sent = 0
        while time.monotonic() < end:
            writer.write(Tagged(tag=tag, sequence=sent))
            sent += 1
            time.sleep(0.05)
        return {"sent": sent}
    try:
        reader = DataReader(participant, topic)
    except DDSException as exc:
        return {"refused": "reader", "error": str(exc)}
    received: dict[str, int] = {}
    while time.monotonic() < end:
        for sample in reader.take(N=100):
            if isinstance(sample, Tagged):  # not a writer's departure (an InvalidSample)
                received[sample.tag] = received.get(sample.tag, 0) + 1
        time.sleep(0.02)
    return {"received": received}


if __name__ == "__main__":
    role, domain, topic_name, tag, seconds = sys.argv[1:6]
    print(json.dumps(main(role, int(domain), topic_name, tag, float(seconds))), flush=True)
