from __future__ import annotations

from selfcare.orders.models import Application


def test_whole_flow_in_japanese(logged_in, login_customer, pool):
    page = logged_in.get("/menu/").content.decode()
    assert "各種サービス設定・変更" in page and "050番号追加申込" in page and "入力画面" in page

    page = logged_in.get("/numbers/add/").content.decode()
    assert "追加番号数" in page and "送信" in page and "リセット" in page and "戻る" in page

    response = logged_in.post("/numbers/add/", {"count": "３"})
    assert response.status_code == 302
    page = logged_in.get(response.url).content.decode()
    assert "実行" in page and "990" in page

    token = response.url.split("token=")[1]
    response = logged_in.post("/numbers/add/execute/", {"token": token})
    assert response.status_code == 302
    complete = logged_in.get(response.url)
    page = complete.content.decode()
    assert "以下のIP電話番号(050番号)が追加されました。" in page
    assert "付加サービスパスワード" in page and "IP加入電話パスワード" in page
    assert "no-store" in complete["Cache-Control"]

    again = logged_in.post("/numbers/add/execute/", {"token": token})
    assert again.status_code == 302 and again.url == response.url
    assert Application.objects.filter(customer=login_customer).count() == 1
