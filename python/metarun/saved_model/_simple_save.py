"""tf.compat.v1.saved_model.simple_save: a serving SavedModel in one call."""

from metarun.saved_model import signature_constants, signature_def_utils, tag_constants


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """Writes `session`'s graph and variables to `export_dir` as a SavedModel tagged "serve"
    whose "serving_default" Predict signature maps `inputs` and `outputs` (dicts of key ->
    tensor); the graph's asset_filepaths collection becomes its assets, `legacy_init_op`
    its main op, and devices are cleared."""
    from metarun.framework import graph as graph_lib
    from metarun.saved_model.builder import SavedModelBuilder
    signatures = {signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                  signature_def_utils.predict_signature_def(inputs, outputs)}
    b = SavedModelBuilder(export_dir)
    b.add_meta_graph_and_variables(
        session, tags=[tag_constants.SERVING], signature_def_map=signatures,
        assets_collection=graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.ASSET_FILEPATHS),
        main_op=legacy_init_op, clear_devices=True)
    b.save()
