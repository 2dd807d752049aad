# Cinder 21's request validation (cinder/api/validation/validators.py: the _SchemaValidator wrapper,
# its minimum/maximum override and the format checkers the volume schemas use), re-stated on
# Debian 12's python3-jsonschema 4.10, to compare our TypeScript engine's messages against it.
# Usage: python3 check.py cases.json   (exit 1 on any mismatch)
import sys
sys.path.insert(0, '/usr/lib/python3/dist-packages')
import json, uuid
import jsonschema
from jsonschema import exceptions as jsonschema_exc
print('python jsonschema', jsonschema.__file__)

class InvalidInput(Exception):
    def __init__(self, reason): self.msg = 'Invalid input received: %s' % reason; super().__init__(self.msg)
class InvalidName(Exception):
    def __init__(self, reason): self.msg = "An invalid 'name' value was provided. %s" % reason; super().__init__(self.msg)
class HTTPBadRequest(Exception):
    def __init__(self, explanation): self.msg = explanation; super().__init__(explanation)

def check_string_length(value, name, min_length=0, max_length=None):
    if len(value) < min_length:
        raise InvalidInput("%(name)s has %(length)s characters, less than %(min_length)s." % dict(name=name, length=len(value), min_length=min_length))
    if max_length and len(value) > max_length:
        raise InvalidInput("%(name)s has %(length)s characters, more than %(max_length)s." % dict(name=name, length=len(value), max_length=max_length))

def _validate_string_length(value, entity_name, mandatory=False, min_length=0, max_length=None, remove_whitespaces=False):
    if not mandatory and not value: return True
    if mandatory and not value: raise HTTPBadRequest("The '%s' can not be None." % entity_name)
    if remove_whitespaces: value = value.strip()
    check_string_length(value, entity_name, min_length=min_length, max_length=max_length)

def _format_uuid_string(string):
    return (string.replace('urn:', '').replace('uuid:', '').strip('{}').replace('-', '').lower())
def is_uuid_like(val):
    try: return str(uuid.UUID(val)).replace('-', '') == _format_uuid_string(val)
    except (TypeError, ValueError, AttributeError): return False

class FormatChecker(jsonschema.FormatChecker):
    def check(self, param_value, format):
        if format not in self.checkers: return
        func, raises = self.checkers[format]
        result, cause = None, None
        try: result = func(param_value)
        except raises as e: cause = e
        if not result:
            msg = "%r is not a %r" % (param_value, format)
            raise jsonschema_exc.FormatError(msg, cause=cause)

fc = FormatChecker()
fc.checkers['uuid'] = (is_uuid_like, ())
def nm(v): _validate_string_length(v, 'name', mandatory=False, min_length=0, max_length=255, remove_whitespaces=True); return True
def ds(v): _validate_string_length(v, 'description', mandatory=False, min_length=0, max_length=255, remove_whitespaces=True); return True
def az(v):
    if v is None: return True
    _validate_string_length(v, 'availability_zone', mandatory=True, min_length=1, max_length=255, remove_whitespaces=True); return True
fc.checkers['name_non_mandatory_remove_white_spaces'] = (nm, ())
fc.checkers['description_non_mandatory_remove_white_spaces'] = (ds, ())
fc.checkers['availability_zone'] = (az, ())
def name_fmt(v):
    if not v: raise InvalidName("The 'name' can not be None.")
    elif len(v.strip()) == 0: raise InvalidName("The 'name' can not be empty.")
    return True
fc.checkers['name'] = (name_fmt, InvalidName)
fc.checkers['printable'] = (lambda v: True, ())
QKEYS = ['volumes','per_volume_gigabytes','snapshots','gigabytes','backups','backup_gigabytes','volumes___DEFAULT__','gigabytes___DEFAULT__','snapshots___DEFAULT__','groups']
def validate_integer(value, name, min_value=None, max_value=None):
    try: value = int(str(value))
    except (ValueError, UnicodeEncodeError): raise HTTPBadRequest('%(value_name)s must be an integer' % {'value_name': name})
    if min_value is not None and value < min_value: raise HTTPBadRequest('%(value_name)s must be >= %(min_value)d' % {'value_name': name, 'min_value': min_value})
    if max_value is not None and value > max_value: raise HTTPBadRequest('%(value_name)s must be <= %(max_value)d' % {'value_name': name, 'max_value': max_value})
    return value
def qs(quota_set):
    bad_keys = []
    for key, value in quota_set.items():
        if key not in QKEYS and key not in ['tenant_id', 'id']:
            bad_keys.append(key); continue
        if key in ['tenant_id', 'id']: continue
        validate_integer(value, key, min_value=-1, max_value=2147483647)
    if len(bad_keys) > 0: raise InvalidInput("Bad key(s) in quota set: %s" % ", ".join(bad_keys))
    return True
fc.checkers['quota_set'] = (qs, ())

validator_org = jsonschema.Draft4Validator
def _number_from_str(v):
    try: return int(v)
    except (ValueError, TypeError):
        try: return float(v)
        except (ValueError, TypeError): return None
def _min(validator, minimum, v, schema):
    v = _number_from_str(v)
    if v is None: return
    return validator_org.VALIDATORS['minimum'](validator, minimum, v, schema)
def _max(validator, maximum, v, schema):
    v = _number_from_str(v)
    if v is None: return
    return validator_org.VALIDATORS['maximum'](validator, maximum, v, schema)
Cls = jsonschema.validators.extend(validator_org, {'minimum': _min, 'maximum': _max})

data = json.load(open(sys.argv[1]))
validators = {k: Cls(v, format_checker=fc) for k, v in data['schemas'].items()}
mism = 0; n = 0; okc = 0
for c in data['cases']:
    n += 1
    try:
        try:
            validators[c['schema']].validate(c['body']); got = 'OK'
        except jsonschema.ValidationError as ex:
            if isinstance(ex.cause, InvalidName): raise ex.cause
            elif len(ex.path) > 0:
                detail = "Invalid input for field/attribute %(path)s. Value: %(value)s. %(message)s" % {'path': ex.path.pop(), 'value': ex.instance, 'message': ex.message}
            else: detail = ex.message
            got = 'SchemaValidationError: ' + detail
    except InvalidInput as e: got = 'InvalidInputError: ' + e.msg
    except InvalidName as e: got = 'InvalidNameError: ' + e.msg
    except HTTPBadRequest as e: got = 'BadRequestParameterError: ' + e.msg
    except TypeError as e: got = 'TypeError: ' + str(e)
    if got == 'OK': okc += 1
    if got != c['ts']:
        mism += 1
        if mism <= 12: print('---', c['schema'], json.dumps(c['body'])[:300], '\n  PY:', got[:300], '\n  TS:', c['ts'][:300])
print('cases', n, 'valid', okc, 'mismatches', mism)
sys.exit(1 if mism else 0)
