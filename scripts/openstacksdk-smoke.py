#!/usr/bin/python3
"""Drives the real openstacksdk (Debian's python3-openstacksdk) against a running API in noauth mode.

    create -> wait available -> get -> list (detail, plain, paged) -> extend (wait size) -> update name
    -> metadata -> snapshot, volume from it, delete both -> types -> availability zones
    -> quota set (with usage) -> limits -> delete -> wait gone

Usage: /usr/bin/python3 scripts/openstacksdk-smoke.py ENDPOINT [--token USER:PROJECT]
  ENDPOINT   the volume endpoint, with or without the project:
             http://127.0.0.1:8776/v3  or  http://127.0.0.1:8776/v3/<project>
  --token    authenticate with keystoneauth's `admin_token` plugin sending this token (what
             cinderclient's noauth plugin sends) instead of `auth_type='none'`.
Env: SMOKE_TIMEOUT_S (default 60) bounds each wait; SMOKE_DEBUG=1 logs every HTTP exchange.
Prints one line per check and "N passed, M failed"; exits 1 when a check failed, 2 on bad usage.

Run it with Debian's interpreter (/usr/bin/python3): a pyenv or virtualenv python3 first on PATH does
not see the apt-installed openstack package. Install with: apt-get install -y python3-openstacksdk

Auth: `auth_type='none'` with `block_storage_endpoint_override`, so the SDK asks no Keystone and no
catalog. Two things about that plugin against a Cinder in noauth mode (real Cinder 21 behaves the same,
see shared/API_SAMPLES.md "GET /v3/ without X-Auth-Token"):
- it sends `X-Auth-Token: notused` on API requests, which noauth reads as user `notused` in project
  `notused`, not admin. So with it the endpoint must be project-less (`.../v3`): another project in
  the URL is Cinder's 400 "Malformed request url", and `notused` is no project id to Cinder's routes
  (project_id_regex `[0-9a-f-]+`: 404). Pass --token to be someone else, e.g. admin in a project.
- keystoneauth's version discovery (GET /v3 before the first call) is sent without authentication,
  and noauth answers a token-less request with 204 and a made-up token instead of the version
  document, so discovery fails ("Unable to find a version discovery document"). The session therefore
  adds the same token to every request (`additional_headers`; the auth plugin's own header wins on
  authenticated requests, so both agree).
"""
import os
import re
import sys
import time
import traceback

try:
    import openstack
    from openstack import exceptions as sdk_exc
except ImportError:
    print(
        "openstack (openstacksdk) not importable by %s: apt-get install -y python3-openstacksdk "
        "and run this with /usr/bin/python3" % sys.executable,
        file=sys.stderr,
    )
    sys.exit(2)

# The token keystoneauth1.noauth.NoAuth.get_token sends.
NOAUTH_TOKEN = "notused"


class Smoke:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, what):
        self.passed += 1
        print("   ok: %s" % what, flush=True)

    def fail(self, what):
        self.failed += 1
        print("   FAIL: %s" % what, file=sys.stderr, flush=True)

    def check(self, cond, what, detail=""):
        if cond:
            self.ok(what)
        else:
            self.fail("%s%s" % (what, (": " + detail) if detail else ""))
        return cond

    def step(self, name, fn):
        """Runs one step; an exception is one failure and the step's result is None."""
        print("== %s" % name, flush=True)
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - any client error is a failed step, the smoke goes on
            self.fail("%s raised %s: %s" % (name, type(e).__name__, e))
            if os.environ.get("SMOKE_DEBUG") == "1":
                traceback.print_exc()
            return None


def wait_until(fetch, done, timeout_s, interval=0.25):
    """Polls fetch() until done(value) (returns the value) or the timeout (returns the last value)."""
    deadline = time.monotonic() + timeout_s
    value = fetch()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(interval)
        value = fetch()
    return value


def main(argv):
    args = argv[1:]
    token = None
    if "--token" in args:
        i = args.index("--token")
        if i + 1 >= len(args) or ":" not in args[i + 1]:
            print("--token needs USER:PROJECT", file=sys.stderr)
            return 2
        token = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1:
        print("usage: %s ENDPOINT [--token USER:PROJECT]" % argv[0], file=sys.stderr)
        return 2
    endpoint = args[0].rstrip("/")
    timeout_s = float(os.environ.get("SMOKE_TIMEOUT_S", "60"))
    if os.environ.get("SMOKE_DEBUG") == "1":
        openstack.enable_logging(debug=True, http_debug=True)

    if token is None:
        user, project = NOAUTH_TOKEN, NOAUTH_TOKEN
        auth = dict(auth_type="none")
    else:
        user, project = token.split(":", 1)
        auth = dict(auth_type="admin_token", auth={"token": token, "endpoint": endpoint})
    m = re.search(r"/v3/([^/]+)$", endpoint)
    if m and m.group(1) != project:
        print("note: the endpoint names project %s, the token %s: expect 400/404 unless admin" % (m.group(1), project))

    s = Smoke()
    print(
        "openstacksdk %s, auth_type %s, against %s (user %s, project %s)"
        % (openstack.version.__version__, auth["auth_type"], endpoint, user, project),
        flush=True,
    )
    conn = openstack.connect(
        block_storage_endpoint_override=endpoint,
        block_storage_api_version="3",
        load_yaml_config=False,
        load_envvars=False,
        **auth,
    )
    conn.session.additional_headers["X-Auth-Token"] = "%s:%s" % (user, project) if token else NOAUTH_TOKEN
    bs = conn.block_storage
    name = "sdk-smoke-%d-%d" % (int(time.time()), os.getpid())

    def create():
        v = bs.create_volume(name=name, size=1, description="openstacksdk smoke")
        s.check(bool(re.match(r"^[0-9a-f-]{36}$", v.id or "")), "created %s" % v.id)
        s.check(v.status in ("creating", "available"), "status %s" % v.status)
        s.check(v.size == 1, "size 1", "size %r" % v.size)
        s.check(v.name == name, "name %s" % name, "name %r" % v.name)
        return v

    vol = s.step("create_volume(name=%s, size=1)" % name, create)

    if vol is not None:

        def wait_available():
            v = wait_until(lambda: bs.get_volume(vol.id), lambda v: v.status != "creating", timeout_s)
            s.check(v.status == "available", "available", "status %r after %ss" % (v.status, timeout_s))

        s.step("wait for available", wait_available)

        def get():
            v = bs.get_volume(vol.id)
            s.check(v.id == vol.id, "get returns %s" % vol.id, "id %r" % v.id)
            s.check(v.availability_zone == "nova", "availability_zone nova", repr(v.availability_zone))
            s.check(v.volume_type == "__DEFAULT__", "volume_type __DEFAULT__", repr(v.volume_type))
            s.check(v.is_bootable is False, "is_bootable False", repr(v.is_bootable))
            # os-vol-tenant-attr:tenant_id is shown to admins only (Cinder's volume_tenant_attribute policy).
            if user == "admin":
                s.check(v.project_id == project, "project_id %s (admin view)" % project, repr(v.project_id))
            else:
                s.check(v.project_id is None, "no project_id for a non-admin", repr(v.project_id))
            s.check(v.description == "openstacksdk smoke", "description kept", repr(v.description))

        s.step("get_volume", get)

        def list_volumes():
            detail = [v for v in bs.volumes(details=True) if v.id == vol.id]
            s.check(len(detail) == 1, "volumes(details=True) lists it")
            if detail:
                s.check(detail[0].status == "available", "listed available", repr(detail[0].status))
            plain = [v for v in bs.volumes(details=False) if v.id == vol.id]
            s.check(len(plain) == 1 and plain[0].name == name, "volumes(details=False) lists it by name")
            by_name = list(bs.volumes(name=name))
            s.check([v.id for v in by_name] == [vol.id], "volumes(name=...) filters to it", repr([v.id for v in by_name]))
            # limit=1 makes the SDK walk the volumes_links next links (marker paging) to the end.
            # Cinder builds next links as /v3/<caller's project>/..., even for project-less requests,
            # so for a project its routes do not accept (project_id_regex [0-9a-f-]+, e.g. `notused`)
            # the second page is a 404 on real Cinder too: skipped then.
            all_ids = sorted(v.id for v in bs.volumes(details=True))
            if re.match(r"^[0-9a-f-]+$", project):
                paged_ids = [v.id for v in bs.volumes(details=True, limit=1)]
                s.check(
                    sorted(paged_ids) == all_ids,
                    "volumes(limit=1) pages through all %d volume(s) by next links" % len(all_ids),
                    "paged %r, unpaged %r" % (paged_ids, all_ids),
                )
            else:
                print("   skip: paging by next links (project %r is no Cinder project id)" % project)
            found = bs.find_volume(name)
            s.check(found is not None and found.id == vol.id, "find_volume by name")

        s.step("volumes / find_volume", list_volumes)

        def extend():
            bs.extend_volume(vol.id, 2)
            s.ok("extend accepted")
            v = wait_until(
                lambda: bs.get_volume(vol.id),
                lambda v: v.size == 2 and v.status == "available",
                timeout_s,
            )
            s.check(v.size == 2 and v.status == "available", "size 2, available", "size %r status %r" % (v.size, v.status))

        s.step("extend_volume(2)", extend)

        def update():
            new_name = name + "-renamed"
            # This SDK's block_storage proxy has no update_volume; the generic _update PUTs /volumes/{id}.
            from openstack.block_storage.v3 import volume as _volume

            v = bs._update(_volume.Volume, vol.id, name=new_name)
            s.check(v.name == new_name, "PUT answered the new name", repr(v.name))
            s.check(bs.get_volume(vol.id).name == new_name, "get shows the new name")

        s.step("update name", update)

        def metadata():
            bs.set_volume_metadata(vol.id, k1="v1", k2="v2")
            s.check(bs.get_volume_metadata(vol.id).metadata == {"k1": "v1", "k2": "v2"}, "metadata set")
            bs.delete_volume_metadata(vol.id, keys=["k1"])
            got = bs.get_volume_metadata(vol.id).metadata
            s.check(got == {"k2": "v2"}, "metadata key deleted", repr(got))

        s.step("set/get/delete volume metadata", metadata)

        def snapshot():
            snap = bs.create_snapshot(volume_id=vol.id, name=name + "-snap")
            try:
                snap = wait_until(lambda: bs.get_snapshot(snap.id), lambda x: x.status != "creating", timeout_s)
                s.check(snap.status == "available", "snapshot available", repr(snap.status))
                s.check(snap.size == 2, "snapshot size 2 (the extended volume)", repr(snap.size))
                s.check(any(x.id == snap.id for x in bs.snapshots()), "snapshots() lists it")
                clone = bs.create_volume(snapshot_id=snap.id, name=name + "-from-snap")
                clone = wait_until(lambda: bs.get_volume(clone.id), lambda v: v.status != "creating", timeout_s)
                s.check(clone.status == "available", "volume from snapshot available", repr(clone.status))
                s.check(clone.snapshot_id == snap.id and clone.size == 2, "volume from snapshot: its snapshot_id, size 2")
                bs.delete_volume(clone.id)
                bs.wait_for_delete(clone, interval=0.25, wait=timeout_s)
                s.ok("volume from snapshot deleted")
            finally:
                bs.delete_snapshot(snap.id)
                bs.wait_for_delete(snap, interval=0.25, wait=timeout_s)
                s.ok("snapshot deleted")

        s.step("snapshot, volume from it, delete both", snapshot)

    def types():
        ts = list(bs.types())
        names = [t.name for t in ts]
        s.check("__DEFAULT__" in names, "types lists __DEFAULT__", repr(names))
        default = [t for t in ts if t.name == "__DEFAULT__"]
        if default:
            t = bs.get_type(default[0].id)
            s.check(t.name == "__DEFAULT__", "get_type(__DEFAULT__ id)")

    s.step("types / get_type", types)

    def zones():
        azs = list(bs.availability_zones())
        s.check(
            any(a.name == "nova" and (a.state or {}).get("available") is True for a in azs),
            "availability zone nova available",
            repr([(a.name, a.state) for a in azs]),
        )

    s.step("availability_zones", zones)

    def quotas():
        q = bs.get_quota_set(project)
        for key in ("volumes", "gigabytes", "snapshots", "per_volume_gigabytes"):
            val = getattr(q, key)
            s.check(isinstance(val, int), "quota %s = %r" % (key, val))
        qu = bs.get_quota_set(project, usage=True)
        usage = qu.usage or {}
        vols = usage.get("volumes")
        if vol is not None:
            s.check(isinstance(vols, int) and vols >= 1, "usage volumes in_use = %r" % vols, repr(qu.usage))
            gbs = usage.get("gigabytes")
            s.check(isinstance(gbs, int) and gbs >= 2, "usage gigabytes in_use = %r" % gbs, repr(qu.usage))
        else:
            s.check(isinstance(vols, int), "usage volumes in_use = %r" % vols, repr(qu.usage))

    s.step("get_quota_set (and usage=True)", quotas)

    def limits():
        lim = bs.get_limits()
        absolute = lim.absolute
        s.check(absolute is not None, "limits has absolute")
        if absolute is not None:
            s.check(isinstance(absolute.max_total_volumes, int), "maxTotalVolumes = %r" % absolute.max_total_volumes)
            s.check(
                isinstance(absolute.total_volumes_used, int),
                "totalVolumesUsed = %r" % absolute.total_volumes_used,
            )

    s.step("get_limits", limits)

    if vol is not None:

        def delete():
            bs.delete_volume(vol.id)
            s.ok("delete accepted")
            deadline = time.monotonic() + timeout_s
            gone = False
            while time.monotonic() < deadline:
                try:
                    bs.get_volume(vol.id)
                except sdk_exc.ResourceNotFound:
                    gone = True
                    break
                time.sleep(0.25)
            s.check(gone, "gone (404)", "still there after %ss" % timeout_s)
            s.check(bs.find_volume(vol.id) is None, "find_volume no longer finds it")

        s.step("delete_volume, wait gone", delete)

    print("%d passed, %d failed" % (s.passed, s.failed))
    return 0 if s.failed == 0 and s.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
