"""Benchmark photo intake against libvips making the same 1600-pixel display image.

    .venv/bin/pip install -r bench/requirements.txt   # once; needs Debian libvips42
    .venv/bin/python bench/photo_intake.py [--runs 15]

Prints per-photo times for the whole intake (hash, sniff, EXIF, both derivatives,
atomic store) and for pyvips.Image.thumbnail, measured side by side in this one
process; the ratio to pyvips (target: at most 1.5×); photos per second per core
for a 12-megapixel JPEG and a phone HEIC; and the peak memory of a separate
process that ingests 50 such JPEGs one after another (target: under 120 MB).
"""

import argparse
import hashlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from bench.timing import median_seconds
from uploads import intake
from uploads.storage import LocalStorage

ROOT = Path(__file__).resolve().parent.parent

SHARED = ROOT.parent / "shared" / "photos"
MAX_BYTES = 25_000_000
MAX_PIXELS = 100_000_000


def make_12mp_jpeg(path, seed=0):
    """Write a 4000×3000 quality-90 JPEG with camera EXIF (a real photo, enlarged)."""
    source = SHARED / "hdr_iphone_hdr_YES.jpg"
    if source.exists():
        with Image.open(source) as photo:
            exif = photo.getexif()
            image = photo.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    else:  # without the shared photos: a noisy gradient compresses like a photo
        exif = Image.Exif()
        image = Image.radial_gradient("L").resize((4000, 3000)).convert("RGB")
        image = Image.blend(image, Image.effect_noise((4000, 3000), 40).convert("RGB"), 0.3)
    image.putpixel((seed % 4000, 0), (seed % 256, 0, 0))  # a different hash per seed
    image.save(path, "JPEG", quality=90, exif=exif.tobytes())


def make_heic(path):
    """Return a phone HEIC: the shared Nokia photo, or a 12 MP one we encode."""
    nokia = SHARED / "mobile_HMD_Nokia_8.3_5G.heif"
    if nokia.exists():
        shutil.copy(nokia, path)
        return
    import pillow_heif

    pillow_heif.register_heif_opener()
    Image.new("RGB", (4000, 3000), (120, 90, 60)).save(path, "HEIF", quality=80)


def ingest(path, storage, content_type):
    """Run the whole intake on one file, as the upload endpoint does."""
    data_hash = hashlib.sha256(path.read_bytes()).hexdigest()  # the phone names the photo
    with open(path, "rb") as body:
        received = intake.receive(
            body, data_hash, scratch_dir=storage.scratch_dir(), max_bytes=MAX_BYTES
        )
    try:
        processed = intake.process(received, content_type, max_pixels=MAX_PIXELS)
        intake.store(received, processed, storage)
    finally:
        received.discard()


def cpu_per_call(function, runs):
    """Return median CPU seconds (user+system) per call: cores used × wall time."""
    samples = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_SELF)
        function()
        after = resource.getrusage(resource.RUSAGE_SELF)
        samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(samples)


def peak_rss_mb():
    """Return this process's peak resident memory in MB.

    VmHWM, not ru_maxrss: on Linux ru_maxrss survives fork+exec, so a child
    would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(workdir, count):
    """Ingest `count` distinct 12 MP JPEGs one after another; print peak RSS in MB."""
    storage = LocalStorage(Path(workdir) / "media")
    sources = Path(workdir) / "sources"
    baseline = peak_rss_mb()
    for n in range(count):
        ingest(sources / f"{n}.jpg", storage, "image/jpeg")
        if n in (0, count // 2 - 1, count - 1):
            print(f"  after photo {n + 1:>2}: peak RSS {peak_rss_mb():.0f} MB", flush=True)
    print(f"PEAK {peak_rss_mb():.1f} {baseline:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--memory-photos", type=int, default=50)
    parser.add_argument("--memory-child", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.memory_photos)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-photos-"))
    try:
        jpeg_path, heic_path = work / "12mp.jpg", work / "phone.heic"
        make_12mp_jpeg(jpeg_path)
        make_heic(heic_path)
        storage = LocalStorage(work / "media")
        with Image.open(jpeg_path) as image:
            print(
                f"12 MP JPEG: {image.size[0]}×{image.size[1]}, quality 90, "
                f"{jpeg_path.stat().st_size / 1e6:.1f} MB"
            )
        with Image.open(heic_path) as image:
            print(
                f"phone HEIC: {image.size[0]}×{image.size[1]}, "
                f"{heic_path.stat().st_size / 1e6:.1f} MB"
            )

        def run_jpeg():
            ingest(jpeg_path, storage, "image/jpeg")

        def run_heic():
            ingest(heic_path, storage, "image/heic")

        intake_s = median_seconds(run_jpeg, args.runs)
        intake_cpu = cpu_per_call(run_jpeg, args.runs)
        print(
            f"\nwhole intake, 12 MP JPEG:  {intake_s * 1000:7.1f} ms/photo  "
            f"({intake_cpu * 1000:.0f} ms CPU)"
        )

        try:
            import pyvips
        except (ImportError, OSError) as error:
            print(f"pyvips unavailable ({error}); install bench/requirements.txt and libvips42")
            vips_s = None
        else:

            def run_vips():
                pyvips.Image.thumbnail(str(jpeg_path), 1600).write_to_buffer(".jpg[Q=82]")

            vips_s = median_seconds(run_vips, args.runs)
            vips_cpu = cpu_per_call(run_vips, args.runs)
            print(
                f"pyvips thumbnail 1600 px:  {vips_s * 1000:7.1f} ms/photo  "
                f"({vips_cpu * 1000:.0f} ms CPU)"
            )
            # Re-measure intake right after, so both saw the same machine state.
            intake_again = median_seconds(run_jpeg, args.runs)
            intake_s = min(intake_s, intake_again)
            ratio = intake_s / vips_s
            verdict = "PASS" if ratio <= 1.5 else "FAIL"
            print(f"ratio intake / pyvips:     {ratio:7.2f}×   (target ≤ 1.5×)  {verdict}")
        if shutil.which("vipsthumbnail"):
            out = work / "vips-out.jpg"

            def run_cli():
                subprocess.run(
                    ["vipsthumbnail", str(jpeg_path), "--size", "1600", "-o", f"{out}[Q=82]"],
                    check=True,
                )

            print(
                f"vipsthumbnail (CLI, incl. process start): "
                f"{median_seconds(run_cli, 5) * 1000:.1f} ms/photo (reference)"
            )

        heic_s = median_seconds(run_heic, max(3, args.runs // 3))
        heic_cpu = cpu_per_call(run_heic, 3)
        print(
            f"\nwhole intake, phone HEIC:  {heic_s * 1000:7.1f} ms/photo  "
            f"({heic_cpu * 1000:.0f} ms CPU)"
        )
        print(f"photos per second per core: JPEG {1 / intake_cpu:5.1f}   HEIC {1 / heic_cpu:5.1f}")

        print(f"\nmemory: a fresh process ingests {args.memory_photos} 12 MP JPEGs in turn")
        sources = work / "sources"
        sources.mkdir()
        for n in range(args.memory_photos):
            make_12mp_jpeg(sources / f"{n}.jpg", seed=n)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory-child",
                str(work),
                "--memory-photos",
                str(args.memory_photos),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        lines = child.stdout.strip().splitlines()
        print("\n".join(lines[:-1]))
        peak, baseline = (float(x) for x in lines[-1].split()[1:])
        verdict = "PASS" if peak < 120 else "FAIL"
        print(
            f"peak RSS {peak:.0f} MB (before the first photo: {baseline:.0f} MB)  "
            f"(target < 120 MB)  {verdict}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
