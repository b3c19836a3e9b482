"""The domain (services, sync engine, photo pipeline) must run without Flask, and the
models without the services: the layers point one way."""

import subprocess
import sys


def test_domain_packages_import_without_flask():
    code = (
        "import sys, pkgutil, importlib, server.services, sync, uploads\n"
        "for package in (server.services, sync, uploads):\n"
        "    for m in pkgutil.iter_modules(package.__path__):\n"
        "        importlib.import_module(package.__name__ + '.' + m.name)\n"
        "import server.models\n"
        "bad = sorted(n for n in sys.modules if n == 'flask' or n.startswith('flask_'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"Flask imported by the domain: {result.stdout}"


def test_models_and_vocabulary_import_no_services():
    code = (
        "import sys, server.vocabulary, server.models\n"
        "print(','.join(sorted(n for n in sys.modules if n.startswith('server.services'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"models import services: {result.stdout}"
