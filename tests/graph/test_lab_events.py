"""The lab's settings say when they change, as the graph does for its edits."""

from playground.graph import Lab, SettingsChanged, templates


def test_assigning_settings_tells_listeners_what_changed():
    lab = templates.build_template("spiral")
    seen = []
    lab.subscribe(seen.append)
    lab.training = lab.training.updated(learning_rate=0.5, batch_size=lab.training.batch_size)
    lab.dataset = type(lab.dataset).from_dict({**lab.dataset.to_dict(), "noise": 0.25})
    lab.seed = lab.seed + 1
    lab.task = "regression"
    assert seen == [SettingsChanged("training", {"learning_rate": 0.5}),
                    SettingsChanged("dataset", {"noise": 0.25}),
                    SettingsChanged("seed", {"seed": lab.seed}),
                    SettingsChanged("task", {"task": "regression"})]


def test_an_equal_value_or_another_field_is_no_event():
    lab = templates.build_template("spiral")
    seen = []
    lab.subscribe(seen.append)
    lab.training = lab.training.updated()
    lab.seed = lab.seed
    lab.name = "renamed"
    lab.unsubscribe(seen.append)
    lab.seed = lab.seed + 1
    assert seen == []


def test_listeners_stay_out_of_the_json_and_of_copies():
    lab = templates.build_template("spiral")
    lab.subscribe(lambda _event: None)
    copy = Lab.from_dict(lab.to_dict())
    assert copy.to_json() == lab.to_json()
    seen = []
    lab.subscribe(seen.append)
    copy.seed = copy.seed + 1
    assert seen == []


def test_a_deep_copy_is_a_new_lab_that_no_one_follows_yet():
    import copy

    lab = templates.build_template("spiral")
    lab_seen, graph_seen = [], []
    lab.subscribe(lab_seen.append)
    lab.networks[0].graph.subscribe(graph_seen.append)
    trial = copy.deepcopy(lab)
    trial.seed += 1
    trial.networks[0].graph.move_node("dense_1", (3.0, 4.0))
    assert lab_seen == [] and graph_seen == []
    assert trial.to_json() != lab.to_json()
    lab.seed += 1
    assert len(lab_seen) == 1  # the original is followed as before
