"""Which consumers a cluster runs: workload images in, consumers with versions out; and `--consumer NAME[@VERSION]`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from sliceaudit.api.records import Workload
from sliceaudit.consumers.model import Behaviour, Consumer
from sliceaudit.consumers.registry import BY_NAME, CONSUMERS
from sliceaudit.consumers.versions import Version, parse_version

_MAX_IMAGE = 512   # longer than any real reference: not read


@dataclass(frozen=True)
class ImageRef:
    repository: str          # lower-cased, without tag or digest: "registry.k8s.io/ingress-nginx/controller"
    tag: str | None
    digest: str | None


@dataclass(frozen=True)
class Present:
    """A consumer in use, at a version (None: unknown, e.g. a digest or `latest`), and where it was found."""

    consumer: Consumer
    version: Version | None
    found_in: tuple[str, ...] = ()   # "Deployment ns/name (image)", or "--consumer" when declared

    @cached_property
    def behaviours(self) -> tuple[Behaviour, ...]:
        """What it may do: one behaviour for a known version, every one that is possible otherwise."""
        return self.consumer.behaviours_for(self.version)


def parse_image(image: str) -> ImageRef | None:
    """`registry:5000/ns/name:tag@sha256:...` split into its parts; None for what is no image reference."""
    if not image or len(image) > _MAX_IMAGE or not image.isprintable() or " " in image:
        return None
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    if not name:
        return None
    return ImageRef(name.lower(), tag or None, digest or None)


def consumer_of(ref: ImageRef) -> Consumer | None:
    for consumer in CONSUMERS:
        for repo in consumer.images:
            if ref.repository == repo or ref.repository.endswith("/" + repo):
                return consumer
    return None


def detect(workloads: Iterable[Workload]) -> list[Present]:
    """Consumers whose images the workloads run (app and init containers), one entry per version."""
    found: dict[tuple[str, str], tuple[Consumer, Version | None, list[str]]] = {}
    for w in workloads:
        spec = w.spec.template.spec
        for container in (*(spec.containers or ()), *(spec.init_containers or ())):
            ref = parse_image(container.image)
            consumer = consumer_of(ref) if ref else None
            if consumer is None:
                continue
            version = parse_version(ref.tag) if ref.tag else None
            key = (consumer.name, version.text if version else "")
            where = f"{type(w).__name__} {w.metadata.namespace}/{w.metadata.name} ({container.image})"
            entry = found.setdefault(key, (consumer, version, []))
            if where not in entry[2]:
                entry[2].append(where)
    return [Present(c, ver, tuple(sorted(where))) for (c, ver, where) in
            (found[k] for k in sorted(found))]


class ConsumerFlagError(ValueError):
    """A `--consumer` value that names no modelled consumer or no version."""


def parse_consumer(text: str) -> Present:
    """`skipper@v0.21.146`, `ingress-nginx@1.9`, `traefik` (version unknown) -> a declared consumer."""
    name, at, tag = text.strip().partition("@")
    consumer = BY_NAME.get(name.lower())
    if consumer is None:
        raise ConsumerFlagError(f"--consumer {text!r}: unknown consumer (known: {', '.join(sorted(BY_NAME))})")
    version = None
    if at:
        version = parse_version(tag)
        if version is None:
            raise ConsumerFlagError(f"--consumer {text!r}: {tag!r} is not a version (write NAME@1.2.3)")
    return Present(consumer, version, ("--consumer",))
