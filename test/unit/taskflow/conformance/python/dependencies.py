"""Flow-level requires/provides as TaskFlow computes them (after tests/unit/test_flow_dependencies.py)."""
from taskflow import retry
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import T, err_view, save

S = {}


def rec(name, build):
    try:
        f = build()
        S[name] = {'requires': sorted(f.requires), 'provides': sorted(f.provides)}
    except Exception as ex:
        S[name] = {'raised': err_view(ex)}


rec('linear_requires_values', lambda: lf.Flow('f').add(T('a', requires=['x', 'y']), T('b', requires=['z'])))
rec('linear_requires_rebind_values', lambda: lf.Flow('f').add(T('a', requires=['x'], rebind={'x': 'q'})))
rec('linear_provides_values', lambda: lf.Flow('f').add(T('a', provides='x'), T('b', provides=['y', 'z'])))
rec('linear_provides_required_values', lambda: lf.Flow('f').add(T('a', provides='x'), T('b', requires=['x'])))
rec('linear_multi', lambda: lf.Flow('f').add(T('a', requires=['x', 'y'], provides=['a', 'b']),
                                               T('b', requires=['a', 'q'], provides=['c'])))
rec('unordered_requires_values', lambda: uf.Flow('f').add(T('a', requires=['x']), T('b', requires=['y'])))
rec('unordered_provides_required_values', lambda: uf.Flow('f').add(T('a', provides='x'), T('b', requires=['x'])))
rec('unordered_provides_same_values', lambda: uf.Flow('f').add(T('a', provides='x'), T('b', provides='x')))
rec('nested_requirements', lambda: lf.Flow('f').add(
    T('a', requires=['x'], provides='y'),
    uf.Flow('u').add(T('b', requires=['y', 'z']), lf.Flow('l').add(T('c', provides='q'), T('d', requires=['q', 'w'])))))
rec('graph_requires_values', lambda: gf.Flow('g').add(T('a', requires=['x']), T('b', requires=['y'])))
rec('graph_provides_required_values', lambda: gf.Flow('g').add(T('a', provides='x'), T('b', requires=['x'])))
rec('graph_multi', lambda: gf.Flow('g').add(T('a', requires=['x', 'y'], provides=['a', 'b']),
                                              T('b', requires=['a', 'q'], provides=['c'])))
rec('task_requires_and_provides_same', lambda: lf.Flow('f').add(T('a', requires=['x'], provides='x')))
rec('retry_in_linear_with_requirements', lambda: lf.Flow('f', retry.Times(2, name='r', requires=['x'] if False else None)).add(T('a', requires=['y'])))
rec('retry_in_linear_with_provides', lambda: lf.Flow('f', retry.Times(2, name='r', provides='n')).add(T('a', requires=['n', 'y'])))
rec('retry_in_unordered_with_provides', lambda: uf.Flow('f', retry.Times(2, name='r', provides='n')).add(T('a', requires=['n'])))
rec('retry_in_graph_with_provides', lambda: gf.Flow('f', retry.Times(2, name='r', provides='n')).add(T('a', requires=['n'])))
rec('parameterized_retry_requires', lambda: lf.Flow('f', retry.ParameterizedForEach(name='r', provides='v')).add(T('a', requires=['v'])))
rec('retry_and_task_provide_same', lambda: lf.Flow('f', retry.Times(2, name='r', provides='x')).add(T('a', provides='x')))
save('dependencies', S)
