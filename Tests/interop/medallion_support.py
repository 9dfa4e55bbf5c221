"""Medallion 3.0.0 (the OASIS reference TAXII server, from PyPI) on loopback, with its memory
backend loaded from a file we write: the peer our `taxii pull` is tested against, and the reference
in the TAXII benchmark."""
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

USER, PASSWORD = "admin", "Password0"
API_ROOT = "trustgroup1"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_data(folder: Path, objects: list, page_size: int = 100) -> Path:
    """Writes medallion's configuration and data (objects with their manifest); returns the config."""
    manifest = []
    for index, obj in enumerate(objects):
        added = f"2024-05-01T00:{index // 60000 % 60:02d}:{index // 1000 % 60:02d}.{index % 1000:03d}000Z"
        manifest.append({"id": obj["id"], "date_added": added, "version": obj.get("modified", obj.get("created", added)),
                         "media_type": "application/stix+json;version=2.1"})
    data = {
        "/discovery": {"title": "medallion", "description": "reference", "default": f"http://127.0.0.1/{API_ROOT}/",
                       "api_roots": [f"http://127.0.0.1/{API_ROOT}/"]},
        API_ROOT: {
            "information": {"title": "trust group", "description": "", "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 104857600},
            "status": [],
            "collections": [{"id": COLLECTION, "title": "peer indicators", "can_read": True, "can_write": True,
                             "media_types": ["application/stix+json;version=2.1"], "objects": objects, "manifest": manifest}],
        },
    }
    data_path = folder / "medallion-data.json"
    data_path.write_text(json.dumps(data))
    config = {
        "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": str(data_path)},
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": page_size},
    }
    config_path = folder / "medallion-config.json"
    config_path.write_text(json.dumps(config))
    return config_path


class Medallion:
    def __init__(self, objects: list, page_size: int = 100, start_timeout: float = 120):
        self.folder = Path(tempfile.mkdtemp(prefix="medallion-"))
        config = write_data(self.folder, objects, page_size)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_root = f"{self.url}/{API_ROOT}/"
        self.log = open(self.folder / "medallion.log", "w")
        medallion = Path(sys.executable).parent / "medallion"
        self.process = subprocess.Popen([str(medallion), "--host", "127.0.0.1", "--port", str(self.port), str(config)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + start_timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"medallion exited: {(self.folder / 'medallion.log').read_text()}")
            try:
                requests.get(self.url + "/taxii2/", auth=(USER, PASSWORD), timeout=2,
                             headers={"Accept": "application/taxii+json;version=2.1"})
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("medallion did not start")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
