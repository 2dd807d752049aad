"""Argument passing: requires/optional/provides, rebind, inject precedence, store, result mapping."""
import taskflow.engines
from taskflow import task
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import CALLS, T, run, save, ser


class AB(task.Task):
    """execute(a, b): positional signature so a rebind *list* maps by position."""

    def execute(self, a, b):
        CALLS.append({'op': 'execute', 'atom': self.name, 'args': ser({'a': a, 'b': b})})
        return a + b


class Opt(task.Task):
    """execute(a, b='dflt'): b is optional (TaskFlow derives optional args from defaults)."""

    def execute(self, a, b='dflt'):
        CALLS.append({'op': 'execute', 'atom': self.name, 'args': ser({'a': a, 'b': b})})
        return [a, b]


S = {}

# 1 single name provides: the whole result
f = lf.Flow('f').add(T('a', ret=1, provides='x'),
                     T('b', ret=lambda kw: kw['x'] + 1, requires=['x'], provides='y'))
S['single_provides'], _ = run(f)

# 2 list provides with a sequence result: positional
f = lf.Flow('f').add(T('a', ret=(1, 2), provides=['x', 'y']),
                     T('b', ret=None, requires=['x', 'y']))
S['list_provides_tuple_result'], _ = run(f)

# 3 set provides with a dict result: by key (the TS "list = keys of an object" rule)
f = lf.Flow('f').add(T('a', ret={'x': 1, 'y': 2, 'z': 3}, provides={'x', 'y'}),
                     T('b', ret=None, requires=['x', 'y']))
S['keyed_provides_dict_result'], _ = run(f)

# 4 single name provides with a dict result: whole dict under the name
f = lf.Flow('f').add(T('a', ret={'x': 1, 'y': 2}, provides='whole'),
                     T('b', ret=None, requires=['whole']))
S['single_provides_dict_result'], _ = run(f)

# 5 keyed provides but the result lacks a key a later atom needs
f = lf.Flow('f').add(T('a', ret={'x': 1}, provides={'x', 'y'}),
                     T('b', ret=None, requires=['y']))
S['keyed_provides_missing_key'], _ = run(f)

# 6 no provides: result not visible by name; fetch_all has only the store
f = lf.Flow('f').add(T('a', ret=42))
S['no_provides_result_not_stored_by_name'], _ = run(f, store={'s': 1})

# 7 rebind map
f = lf.Flow('f').add(T('a', ret=5, provides='x'),
                     T('b', ret=lambda kw: kw, requires=['v'], rebind={'v': 'x'}, provides='y'))
S['rebind_map'], _ = run(f)

# 8 rebind list (positional onto execute(a, b))
f = lf.Flow('f').add(AB('ab', rebind=['x', 'y'], provides='sum'))
S['rebind_list'], _ = run(f, store={'x': 1, 'y': 2, 'a': 100, 'b': 200})

# 9 optional arg absent -> not passed (default used); present -> passed
f = lf.Flow('f').add(Opt('o', provides='r'))
S['optional_absent'], _ = run(f, store={'a': 1})
f = lf.Flow('f').add(Opt('o', provides='r'))
S['optional_from_store'], _ = run(f, store={'a': 1, 'b': 2})
f = lf.Flow('f').add(T('p', ret='from-p', provides='b'), Opt('o', provides='r'))
S['optional_from_provider'], _ = run(f, store={'a': 1})

# 10 inject precedence: atom inject > store and provider
f = lf.Flow('f').add(T('p', ret='provider', provides='x'),
                     T('c', ret=None, requires=['x'], inject={'x': 'inject'}))
S['inject_beats_store_and_provider'], _ = run(f, store={'x': 'store'})

# 11 store vs an earlier provider of the same name (no inject)
f = lf.Flow('f').add(T('p', ret='provider', provides='x'),
                     T('c', ret=None, requires=['x']))
S['store_vs_provider'], _ = run(f, store={'x': 'store'})

# 12 inject only for one atom, not visible to others
f = lf.Flow('f').add(T('a', ret=None, requires=['x'], inject={'x': 1}),
                     T('b', ret=None, requires=['x']))
S['inject_is_atom_local'], _ = run(f)

# 13 later atoms are never visible (linear)
f = lf.Flow('f').add(T('b', ret=None, requires=['x']), T('a', ret=1, provides='x'))
S['later_provider_not_visible'], _ = run(f)

# 14 unordered siblings are not visible to each other
f = uf.Flow('f').add(T('a', ret=1, provides='x'), T('b', ret=None, requires=['x']))
S['unordered_sibling_not_visible'], _ = run(f)

# 15 nested shadowing: nearest earlier provider wins
f = lf.Flow('outer').add(
    T('a', ret=1, provides='x'),
    lf.Flow('inner').add(T('b', ret=2, provides='x'),
                         T('c', ret=None, requires=['x'])),
    T('d', ret=None, requires=['x']))
S['nested_shadowing_nearest_wins'], _ = run(f)

# 16 the store-provided value flows through; engines.run returns fetch_all
del CALLS[:]
r = taskflow.engines.run(lf.Flow('f').add(T('a', ret=lambda kw: kw['s'] * 2, requires=['s'], provides='d')),
                         store={'s': 21, 'extra': 'kept'})
S['engines_run_returns_all_results'] = {'returned': ser(r), 'calls': list(CALLS)}

# 17 rebind map onto a name provided by a task in an outer flow
f = lf.Flow('outer').add(T('a', ret='A', provides='x'),
                         uf.Flow('u').add(T('b', ret=None, requires=['y'], rebind={'y': 'x'}),
                                          T('c', ret=None, requires=['x'])))
S['unordered_children_see_outer_provider'], _ = run(f)

# 18 graph flow infers order from requires/provides regardless of add order
f = gf.Flow('g').add(T('c', ret=None, requires=['y']),
                     T('b', ret=2, requires=['x'], provides='y'),
                     T('a', ret=1, provides='x'))
S['graph_orders_by_data'], _ = run(f)

# 19 rebinding an optional argument makes it required (TaskFlow adds rebind entries to the required mapping)
f = lf.Flow('f').add(Opt('o', rebind={'b': 'zz'}, provides='r'))
S['optional_rebound_present'], _ = run(f, store={'a': 1, 'zz': 9})
f = lf.Flow('f').add(Opt('o', rebind={'b': 'zz'}, provides='r'))
S['optional_rebound_missing'], _ = run(f, store={'a': 1})

save('arguments', S)
