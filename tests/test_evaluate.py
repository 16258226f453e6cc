from hutong.evaluate import PredictedEvent, event_matches, score_events, score_time_expressions
from hutong.models import TimeExpression

GOLD = {
    "a": ["京东"],
    "b": ["支付宝", "阿里巴巴"],
    "domain": "payment",
    "action": "start",
    "date": "2024-10",
    "required": True,
}


def test_a_match_needs_parties_domain_action_and_a_date_starting_with_the_gold():
    assert event_matches(PredictedEvent("支付宝", "京东", "payment", "start", "2024-10-29"), GOLD)
    assert not event_matches(PredictedEvent("京东", "支付宝", "payment", "start", "2024"), GOLD)
    assert not event_matches(PredictedEvent("京东", "支付宝", "payment", "end", "2024-10"), GOLD)
    assert not event_matches(PredictedEvent("京东", "淘宝", "payment", "start", "2024-10"), GOLD)


def test_predictions_are_deduplicated_and_matched_one_to_one():
    p = PredictedEvent("京东", "支付宝", "payment", "start", "2024-10-29")
    q = PredictedEvent("京东", "阿里巴巴", "payment", "start", "2024-10-29")
    score = score_events([p, p, q], [GOLD])
    assert (score.true_positives, score.predicted, score.required) == (1, 2, 1)
    assert score.false == [q]


def test_a_prediction_matching_an_optional_event_is_not_counted():
    optional = {**GOLD, "required": False}
    score = score_events([PredictedEvent("京东", "支付宝", "payment", "start", "2024-10")], [optional])
    assert (score.predicted, score.required, score.false) == (0, 0, [])


def test_required_gold_gets_the_prediction_when_both_could_take_it():
    optional = {**GOLD, "required": False, "date": "*"}
    score = score_events([PredictedEvent("京东", "支付宝", "payment", "start", "2024-10-29")], [optional, GOLD])
    assert score.true_positives == 1 and score.f1 == 1.0


def test_time_gold_passes_on_overlap_with_the_value_and_null_needs_no_date():
    text = "时隔14年,去年10月上线。"
    times = [
        TimeExpression("时隔14年", 0, 5, 0, None, "duration", "duration"),
        TimeExpression("去年10月", 6, 11, 0, "2024-10", "date", "去年"),
    ]
    gold = [
        {"text": "时隔14年", "value": None},
        {"text": "去年10月", "value": "2024-10"},
        {"text": "上线", "value": "2024"},
    ]
    score = score_time_expressions(times, gold, simplified_text=text)
    assert (score.passed, score.total) == (2, 3)
    assert score.failures[0]["text"] == "上线"
