//! From a request's constructor id to its handler.
//!
//! Each route decodes the request as its generated `functions::…` struct and calls a handler
//! whose return type is that function's `RemoteCall::Return`, so a handler cannot answer with
//! the wrong type. Bytes that do not decode answer `400 INPUT_REQUEST_INVALID`; ids of functions
//! without a handler answer `501 METHOD_NOT_IMPLEMENTED_IN_TESTSERVER`; ids that are no
//! function at all answer `400 INPUT_METHOD_INVALID`.

use tgwire_mtproto::SplitBody;
use tgwire_tl_types::{functions, Deserializable, DeserializeError, Identifiable, Serializable};

use super::rpc::{RpcError, RpcResult};
use super::{
    account, admin_log, auth, bot_commands, bots, cdn, channels, chat_edit, chats, dialogs, files,
    inline, invites, join_requests, messages, pins, profile, stats, takeout, updates, users, Cx,
};

macro_rules! routes {
    ($cx:ident, $id:ident, $name:ident, $bytes:ident; $($func:ty => $handler:path,)*) => {
        $(
            if $id == <$func as Identifiable>::CONSTRUCTOR_ID {
                let request = <$func as Deserializable>::from_bytes($bytes)
                    .map_err(|error| malformed($name, error))?;
                let result: <$func as tgwire_tl_types::RemoteCall>::Return =
                    $handler($cx, request)?;
                return Ok(result.to_bytes());
            }
        )*
    };
}

/// An answer as [`dispatch_reply`] gives it.
pub(crate) enum Reply {
    /// The serialized result.
    Bytes(Vec<u8>),
    /// A file part, its content where it is stored (see [`files::FilePart::split`]).
    Part(SplitBody),
}

/// [`dispatch`], with a file part kept in its pieces rather than serialized.
pub(crate) fn dispatch_reply(
    cx: &mut Cx<'_>,
    id: u32,
    name: &str,
    bytes: &[u8],
) -> RpcResult<Reply> {
    if id == functions::upload::GetFile::CONSTRUCTOR_ID && !cdn::on_cdn(cx) {
        let request = functions::upload::GetFile::from_bytes(bytes)
            .map_err(|error| malformed(name, error))?;
        let part = files::get_file(cx, request)?;
        return Ok(match part.split() {
            Some(split) => Reply::Part(split),
            None => Reply::Bytes(part.to_bytes()),
        });
    }
    dispatch(cx, id, name, bytes).map(Reply::Bytes)
}

/// Runs the request whose constructor id is `id` (TL name `name`).
pub(crate) fn dispatch(cx: &mut Cx<'_>, id: u32, name: &str, bytes: &[u8]) -> RpcResult<Vec<u8>> {
    // A wrapper around another request, answered with that request's result.
    if id == functions::InvokeWithTakeout::<tgwire_tl_types::Blob>::CONSTRUCTOR_ID {
        return takeout::invoke_with_takeout(cx, bytes);
    }
    // The CDN DC serves file parts to anyone, and nothing else.
    if cdn::on_cdn(cx) && id != functions::upload::GetCdnFile::CONSTRUCTOR_ID {
        return Err(RpcError::bad("CDN_METHOD_INVALID"));
    }
    // File parts are encoded straight from the stored bytes (see files::FilePart).
    if id == functions::upload::GetFile::CONSTRUCTOR_ID {
        let request = functions::upload::GetFile::from_bytes(bytes)
            .map_err(|error| malformed(name, error))?;
        return files::get_file(cx, request).map(|part| part.to_bytes());
    }
    routes! { cx, id, name, bytes;
        functions::help::GetConfig => auth::get_config,
        functions::help::GetCdnConfig => cdn::get_cdn_config,
        functions::upload::GetCdnFile => cdn::get_cdn_file,
        functions::upload::GetCdnFileHashes => cdn::get_cdn_file_hashes,
        functions::upload::ReuploadCdnFile => cdn::reupload_cdn_file,
        functions::help::GetNearestDc => auth::get_nearest_dc,
        functions::auth::SendCode => auth::send_code,
        functions::auth::SignIn => auth::sign_in,
        functions::auth::SignUp => auth::sign_up,
        functions::auth::LogOut => auth::log_out,
        functions::auth::ImportBotAuthorization => auth::import_bot_authorization,
        functions::auth::ExportAuthorization => auth::export_authorization,
        functions::auth::ImportAuthorization => auth::import_authorization,
        functions::auth::ExportLoginToken => auth::export_login_token,
        functions::auth::ImportLoginToken => auth::import_login_token,
        functions::auth::AcceptLoginToken => auth::accept_login_token,
        functions::auth::CheckPassword => account::check_password,
        functions::account::GetPassword => account::get_password,
        functions::account::UpdatePasswordSettings => account::update_password_settings,
        functions::account::UpdateProfile => account::update_profile,
        functions::account::UpdateUsername => account::update_username,
        functions::account::UpdateStatus => account::update_status,
        functions::users::GetUsers => users::get_users,
        functions::users::GetFullUser => users::get_full_user,
        functions::contacts::ResolveUsername => users::resolve_username,
        functions::contacts::ResolvePhone => users::resolve_phone,
        functions::contacts::GetContacts => users::get_contacts,
        functions::contacts::ImportContacts => users::import_contacts,
        functions::contacts::Block => users::block,
        functions::contacts::Unblock => users::unblock,
        functions::messages::SendMessage => messages::send_message,
        functions::messages::SendMedia => messages::send_media,
        functions::messages::SendMultiMedia => messages::send_multi_media,
        functions::messages::UploadMedia => messages::upload_media,
        functions::messages::EditMessage => messages::edit_message,
        functions::messages::DeleteMessages => messages::delete_messages,
        functions::messages::ForwardMessages => messages::forward_messages,
        functions::messages::GetHistory => messages::get_history,
        functions::messages::GetMessages => messages::get_messages,
        functions::messages::Search => messages::search,
        functions::messages::GetUnreadMentions => messages::get_unread_mentions,
        functions::messages::ReadMentions => messages::read_mentions,
        functions::messages::GetScheduledHistory => messages::get_scheduled_history,
        functions::messages::GetDialogs => dialogs::get_dialogs,
        functions::messages::GetPeerDialogs => dialogs::get_peer_dialogs,
        functions::messages::GetPinnedDialogs => dialogs::get_pinned_dialogs,
        functions::messages::ToggleDialogPin => dialogs::toggle_dialog_pin,
        functions::messages::SaveDraft => dialogs::save_draft,
        functions::messages::GetAllDrafts => dialogs::get_all_drafts,
        functions::messages::DeleteHistory => dialogs::delete_history,
        functions::folders::EditPeerFolders => dialogs::edit_peer_folders,
        functions::messages::UpdatePinnedMessage => pins::update_pinned_message,
        functions::messages::UnpinAllMessages => pins::unpin_all_messages,
        functions::messages::ReadHistory => messages::read_history,
        functions::messages::SetTyping => messages::set_typing,
        functions::messages::GetBotCallbackAnswer => bots::get_bot_callback_answer,
        functions::messages::SetBotCallbackAnswer => bots::set_bot_callback_answer,
        functions::messages::GetInlineBotResults => inline::get_inline_bot_results,
        functions::messages::SetInlineBotResults => inline::set_inline_bot_results,
        functions::messages::SendInlineBotResult => inline::send_inline_bot_result,
        functions::messages::EditInlineBotMessage => inline::edit_inline_bot_message,
        functions::messages::CreateChat => chats::create_chat,
        functions::messages::AddChatUser => chats::add_chat_user,
        functions::messages::DeleteChatUser => chats::delete_chat_user,
        functions::messages::GetChats => chats::get_chats,
        functions::messages::GetFullChat => chats::get_full_chat,
        functions::messages::EditChatAdmin => chats::edit_chat_admin,
        functions::messages::MigrateChat => chats::migrate_chat,
        functions::messages::EditChatTitle => chat_edit::edit_chat_title,
        functions::messages::EditChatPhoto => chat_edit::edit_chat_photo,
        functions::messages::EditChatAbout => chat_edit::edit_chat_about,
        functions::messages::EditChatDefaultBannedRights => chat_edit::edit_chat_default_banned_rights,
        functions::messages::DeleteChat => chat_edit::delete_chat,
        functions::messages::ExportChatInvite => invites::export_chat_invite,
        functions::messages::CheckChatInvite => invites::check_chat_invite,
        functions::messages::ImportChatInvite => invites::import_chat_invite,
        functions::messages::GetExportedChatInvites => invites::get_exported_chat_invites,
        functions::messages::GetExportedChatInvite => invites::get_exported_chat_invite,
        functions::messages::EditExportedChatInvite => invites::edit_exported_chat_invite,
        functions::messages::DeleteExportedChatInvite => invites::delete_exported_chat_invite,
        functions::messages::DeleteRevokedExportedChatInvites => invites::delete_revoked_exported_chat_invites,
        functions::channels::CreateChannel => channels::create_channel,
        functions::channels::GetParticipants => channels::get_participants,
        functions::channels::GetParticipant => channels::get_participant,
        functions::channels::GetMessages => channels::get_messages,
        functions::channels::DeleteMessages => channels::delete_messages,
        functions::channels::ReadHistory => channels::read_history,
        functions::channels::DeleteHistory => channels::delete_history,
        functions::channels::JoinChannel => channels::join_channel,
        functions::channels::LeaveChannel => channels::leave_channel,
        functions::channels::InviteToChannel => channels::invite_to_channel,
        functions::channels::EditAdmin => channels::edit_admin,
        functions::channels::EditBanned => channels::edit_banned,
        functions::channels::EditTitle => chat_edit::edit_title,
        functions::channels::EditPhoto => chat_edit::edit_photo,
        functions::channels::ToggleSlowMode => chat_edit::toggle_slow_mode,
        functions::channels::DeleteChannel => chat_edit::delete_channel,
        functions::channels::GetAdminLog => admin_log::get_admin_log,
        functions::photos::UploadProfilePhoto => profile::upload_profile_photo,
        functions::photos::UpdateProfilePhoto => profile::update_profile_photo,
        functions::photos::DeletePhotos => profile::delete_photos,
        functions::photos::GetUserPhotos => profile::get_user_photos,
        functions::account::CheckUsername => profile::check_username,
        functions::stats::GetBroadcastStats => stats::get_broadcast_stats,
        functions::stats::GetMegagroupStats => stats::get_megagroup_stats,
        functions::stats::LoadAsyncGraph => stats::load_async_graph,
        functions::stats::GetMessageStats => stats::get_message_stats,
        functions::account::InitTakeoutSession => takeout::init_takeout_session,
        functions::account::FinishTakeoutSession => takeout::finish_takeout_session,
        functions::channels::GetChannels => channels::get_channels,
        functions::channels::GetFullChannel => channels::get_full_channel,
        functions::channels::CheckUsername => channels::check_username,
        functions::channels::UpdateUsername => channels::update_username,
        functions::updates::GetState => updates::get_state,
        functions::updates::GetDifference => updates::get_difference,
        functions::updates::GetChannelDifference => updates::get_channel_difference,
        functions::upload::SaveFilePart => files::save_file_part,
        functions::upload::SaveBigFilePart => files::save_big_file_part,
        functions::messages::GetChatInviteImporters => join_requests::get_chat_invite_importers,
        functions::messages::HideChatJoinRequest => join_requests::hide_chat_join_request,
        functions::messages::HideAllChatJoinRequests => join_requests::hide_all_chat_join_requests,
        functions::bots::SetBotCommands => bot_commands::set_bot_commands,
        functions::bots::GetBotCommands => bot_commands::get_bot_commands,
        functions::bots::ResetBotCommands => bot_commands::reset_bot_commands,
    }
    if tgwire_tl_types::name_for_id(id).is_none() {
        log::warn!("request with unknown constructor id {id:#010x}");
        return Err(RpcError::bad("INPUT_METHOD_INVALID"));
    }
    log::warn!("not implemented in the test server: {name}");
    Err(RpcError::new(501, "METHOD_NOT_IMPLEMENTED_IN_TESTSERVER"))
}

fn malformed(name: &str, error: DeserializeError) -> RpcError {
    log::warn!("malformed {name} request: {error}");
    RpcError::bad("INPUT_REQUEST_INVALID")
}
