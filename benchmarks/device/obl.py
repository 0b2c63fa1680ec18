"""`obliviate` on the device machine, which has no spaCy: the extract stage's key needs only the pipeline's
name and version, recorded in the manifest by make_payload (the stages up to the labels are looked up there,
never built)."""
import json
import sys
import types
from pathlib import Path

import anchors.extract
import anchors.nlp

META = json.loads((Path(__file__).parent / "manifest.json").read_text())["spacy_meta"]
anchors.nlp.load_pipeline = anchors.extract.load_pipeline = lambda name=None: types.SimpleNamespace(meta=META)
from pipelines.cli import run  # noqa: E402

sys.argv = ["obliviate"] + sys.argv[1:]
run()
