//! Profile photos (`photos.uploadProfilePhoto`, `updateProfilePhoto`, `deletePhotos`,
//! `getUserPhotos`) and `account.checkUsername`.
//!
//! A user's photos are a list, the current one first; uploading puts a new photo in front,
//! deleting the current one makes the next the current. Contacts and the user's other sessions
//! get `updateUser` so they fetch the new photo.

use tgwire_tl_types::{enums, functions, types};

use super::files;
use super::model::{MediaRec, Peer};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{peers, users, Cx};

/// Most photos one `photos.getUserPhotos` returns.
const MAX_PAGE: i32 = 100;

fn photo_answer(cx: &Cx<'_>, me: i64, id: i64) -> RpcResult<enums::photos::Photo> {
    let photo = present::photo(cx.state, id).ok_or_else(|| RpcError::bad("PHOTO_INVALID"))?;
    let mut refs = Refs::default();
    refs.user(me);
    Ok(types::photos::Photo {
        photo,
        users: refs.users(cx.state, me),
    }
    .into())
}

/// Tells `me`'s other sessions and contacts that `me` changed.
fn push_user_changed(cx: &mut Cx<'_>, me: i64) {
    let mut watchers: Vec<i64> = cx
        .state
        .users
        .values()
        .filter(|u| u.contacts.contains(&me))
        .map(|u| u.id)
        .collect();
    watchers.push(me);
    let mut refs = Refs::default();
    refs.user(me);
    for user in watchers {
        cx.push_with(user, vec![types::UpdateUser { user_id: me }.into()], &refs);
    }
}

pub(crate) fn upload_profile_photo(
    cx: &mut Cx<'_>,
    req: functions::photos::UploadProfilePhoto,
) -> RpcResult<enums::photos::Photo> {
    let me = cx.me()?;
    if req.bot.is_some() {
        return Err(RpcError::bad("BOT_INVALID"));
    }
    let file = req
        .file
        .as_ref()
        .ok_or_else(|| RpcError::bad("PHOTO_FILE_MISSING"))?;
    let MediaRec::Photo(id) = files::create_photo(cx, me, file)? else {
        return Err(RpcError::bad("PHOTO_INVALID"));
    };
    cx.state.profile_photos.entry(me).or_default().insert(0, id);
    cx.dirty = true;
    push_user_changed(cx, me);
    photo_answer(cx, me, id)
}

pub(crate) fn update_profile_photo(
    cx: &mut Cx<'_>,
    req: functions::photos::UpdateProfilePhoto,
) -> RpcResult<enums::photos::Photo> {
    let me = cx.me()?;
    let list = cx.state.profile_photos.entry(me).or_default();
    let enums::InputPhoto::InputPhoto(photo) = &req.id else {
        // Empty: no current photo (the old ones stay in the list, behind).
        return Err(RpcError::bad("PHOTO_ID_INVALID"));
    };
    let Some(position) = list.iter().position(|&p| p == photo.id) else {
        return Err(RpcError::bad("PHOTO_ID_INVALID"));
    };
    let id = list.remove(position);
    list.insert(0, id);
    cx.dirty = true;
    push_user_changed(cx, me);
    photo_answer(cx, me, id)
}

pub(crate) fn delete_photos(
    cx: &mut Cx<'_>,
    req: functions::photos::DeletePhotos,
) -> RpcResult<Vec<i64>> {
    let me = cx.me()?;
    let list = cx.state.profile_photos.entry(me).or_default();
    let was_current = list.first().copied();
    let mut deleted = Vec::new();
    for input in &req.id {
        if let enums::InputPhoto::InputPhoto(photo) = input {
            if let Some(position) = list.iter().position(|&p| p == photo.id) {
                deleted.push(list.remove(position));
            }
        }
    }
    if list.is_empty() {
        cx.state.profile_photos.remove(&me);
    }
    if !deleted.is_empty() {
        cx.dirty = true;
        if was_current.is_some_and(|c| deleted.contains(&c)) {
            push_user_changed(cx, me);
        }
    }
    Ok(deleted)
}

pub(crate) fn get_user_photos(
    cx: &mut Cx<'_>,
    req: functions::photos::GetUserPhotos,
) -> RpcResult<enums::photos::Photos> {
    let me = cx.me()?;
    let user = peers::input_user(cx.state, me, &req.user_id)?;
    let all: Vec<i64> = cx
        .state
        .profile_photos
        .get(&user)
        .cloned()
        .unwrap_or_default();
    let count = all.len();
    let start = match req.max_id {
        0 => 0,
        // Continue after photo `max_id` (the list is newest first).
        max_id => all
            .iter()
            .position(|&p| p == max_id)
            .map_or(count, |i| i + 1),
    };
    let offset = usize::try_from(req.offset.max(0)).unwrap_or(0);
    let limit = usize::try_from(req.limit.clamp(1, MAX_PAGE)).unwrap_or(1);
    let photos: Vec<enums::Photo> = all
        .iter()
        .skip(start + offset)
        .take(limit)
        .filter_map(|&id| present::photo(cx.state, id))
        .collect();
    let mut refs = Refs::default();
    refs.user(user);
    let users = refs.users(cx.state, me);
    Ok(if photos.len() < count {
        types::photos::PhotosSlice {
            count: i32::try_from(count).unwrap_or(i32::MAX),
            photos,
            users,
        }
        .into()
    } else {
        types::photos::Photos { photos, users }.into()
    })
}

pub(crate) fn check_username(
    cx: &mut Cx<'_>,
    req: functions::account::CheckUsername,
) -> RpcResult<bool> {
    let me = cx.me()?;
    if !users::valid_username(&req.username) {
        return Err(RpcError::bad("USERNAME_INVALID"));
    }
    Ok(users::check_username_free(cx.state, &req.username, Peer::User(me)).is_ok())
}
